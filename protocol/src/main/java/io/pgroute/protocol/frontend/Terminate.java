package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;

/** Ends the session; the client closes the connection next. */
public record Terminate() implements FrontendMessage {

    public static final Terminate INSTANCE = new Terminate();

    @Override
    public FrontendType type() {
        return FrontendType.TERMINATE;
    }

    // Terminate: Byte1('X') Int32 len = 4
    public static Terminate decode(ByteBuf body) {
        PgBuffers.requireEnd(body);
        return INSTANCE;
    }

    // Terminate: Byte1('X') Int32 len = 4
    @Override
    public void encodeBody(ByteBuf out) {
        // no body
    }
}
