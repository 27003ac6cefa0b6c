package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;

/** Asks for GSSAPI authentication. */
public record AuthenticationGSS() implements Authentication {

    public static final AuthenticationGSS INSTANCE = new AuthenticationGSS();

    @Override
    public int code() {
        return GSS;
    }

    // AuthenticationGSS: Byte1('R') Int32 len = 8, Int32 GSS
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(GSS);
    }
}
