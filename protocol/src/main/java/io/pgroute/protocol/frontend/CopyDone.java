package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;

/** Ends the data of a COPY FROM STDIN. */
public record CopyDone() implements FrontendMessage {

    public static final CopyDone INSTANCE = new CopyDone();

    @Override
    public FrontendType type() {
        return FrontendType.COPY_DONE;
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
