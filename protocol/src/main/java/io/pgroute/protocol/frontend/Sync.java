package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;

/** Ends an extended-query batch: the server answers ReadyForQuery, and skips to here after an error. */
public record Sync() implements FrontendMessage {

    public static final Sync INSTANCE = new Sync();

    @Override
    public FrontendType type() {
        return FrontendType.SYNC;
    }

    // Sync: Byte1('S') Int32 len = 4
    public static Sync decode(ByteBuf body) {
        PgBuffers.requireEnd(body);
        return INSTANCE;
    }

    // Sync: Byte1('S') Int32 len = 4
    @Override
    public void encodeBody(ByteBuf out) {
        // no body
    }
}
