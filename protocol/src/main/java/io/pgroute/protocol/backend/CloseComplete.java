package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;

/** Answers a Close. */
public record CloseComplete() implements BackendMessage {

    public static final CloseComplete INSTANCE = new CloseComplete();

    @Override
    public BackendType type() {
        return BackendType.CLOSE_COMPLETE;
    }

    // CloseComplete: Byte1('3') Int32 len = 4
    public static CloseComplete decode(ByteBuf body) {
        PgBuffers.requireEnd(body);
        return INSTANCE;
    }

    // CloseComplete: Byte1('3') Int32 len = 4
    @Override
    public void encodeBody(ByteBuf out) {
        // no body
    }
}
