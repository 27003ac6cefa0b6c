package io.pgroute.protocol.startup;

import io.netty.buffer.ByteBuf;

/** Asks the server to switch to TLS; the server answers with a single byte, {@code 'S'} or {@code 'N'}. */
public record SSLRequest() implements StartupPacket {

    public static final int CODE = 80877103;
    public static final SSLRequest INSTANCE = new SSLRequest();

    // SSLRequest: Int32 len = 8, Int32 80877103
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(CODE);
    }
}
