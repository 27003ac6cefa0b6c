package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;

/** Asks for SSPI authentication. */
public record AuthenticationSSPI() implements Authentication {

    public static final AuthenticationSSPI INSTANCE = new AuthenticationSSPI();

    @Override
    public int code() {
        return SSPI;
    }

    // AuthenticationSSPI: Byte1('R') Int32 len = 8, Int32 SSPI
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(SSPI);
    }
}
