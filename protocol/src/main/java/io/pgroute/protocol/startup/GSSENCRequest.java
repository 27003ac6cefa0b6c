package io.pgroute.protocol.startup;

import io.netty.buffer.ByteBuf;

/** Asks the server to switch to GSSAPI encryption; the server answers with a single byte, {@code 'G'} or {@code 'N'}. */
public record GSSENCRequest() implements StartupPacket {

    public static final int CODE = 80877104;
    public static final GSSENCRequest INSTANCE = new GSSENCRequest();

    // GSSENCRequest: Int32 len = 8, Int32 80877104
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(CODE);
    }
}
