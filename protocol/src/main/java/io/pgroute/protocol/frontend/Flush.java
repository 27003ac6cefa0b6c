package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;

/** Asks the server to send the output it has buffered for the extended-query batch so far. */
public record Flush() implements FrontendMessage {

    public static final Flush INSTANCE = new Flush();

    @Override
    public FrontendType type() {
        return FrontendType.FLUSH;
    }

    // Flush: Byte1('H') Int32 len = 4
    public static Flush decode(ByteBuf body) {
        PgBuffers.requireEnd(body);
        return INSTANCE;
    }

    // Flush: Byte1('H') Int32 len = 4
    @Override
    public void encodeBody(ByteBuf out) {
        // no body
    }
}
