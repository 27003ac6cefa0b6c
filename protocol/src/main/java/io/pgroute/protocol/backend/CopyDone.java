package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;

/** Ends the data of a COPY TO STDOUT. */
public record CopyDone() implements BackendMessage {

    public static final CopyDone INSTANCE = new CopyDone();

    @Override
    public BackendType type() {
        return BackendType.COPY_DONE;
    }

    // CopyDone: Byte1('c') Int32 len = 4
    public static CopyDone decode(ByteBuf body) {
        PgBuffers.requireEnd(body);
        return INSTANCE;
    }

    // CopyDone: Byte1('c') Int32 len = 4
    @Override
    public void encodeBody(ByteBuf out) {
        // no body
    }
}
