package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;

/** Answers a Bind. */
public record BindComplete() implements BackendMessage {

    public static final BindComplete INSTANCE = new BindComplete();

    @Override
    public BackendType type() {
        return BackendType.BIND_COMPLETE;
    }

    // BindComplete: Byte1('2') Int32 len = 4
    public static BindComplete decode(ByteBuf body) {
        PgBuffers.requireEnd(body);
        return INSTANCE;
    }

    // BindComplete: Byte1('2') Int32 len = 4
    @Override
    public void encodeBody(ByteBuf out) {
        // no body
    }
}
