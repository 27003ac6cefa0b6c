package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;

/** Answers a Parse. */
public record ParseComplete() implements BackendMessage {

    public static final ParseComplete INSTANCE = new ParseComplete();

    @Override
    public BackendType type() {
        return BackendType.PARSE_COMPLETE;
    }

    // ParseComplete: Byte1('1') Int32 len = 4
    public static ParseComplete decode(ByteBuf body) {
        PgBuffers.requireEnd(body);
        return INSTANCE;
    }

    // ParseComplete: Byte1('1') Int32 len = 4
    @Override
    public void encodeBody(ByteBuf out) {
        // no body
    }
}
