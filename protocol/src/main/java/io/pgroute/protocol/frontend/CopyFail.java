package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;

/** Aborts a COPY FROM STDIN with an error message. */
public record CopyFail(String message) implements FrontendMessage {

    @Override
    public FrontendType type() {
        return FrontendType.COPY_FAIL;
    }

    // CopyFail: Byte1('f') Int32 len, String message
    public static CopyFail decode(ByteBuf body) {
        String message = PgBuffers.readCString(body);
        PgBuffers.requireEnd(body);
        return new CopyFail(message);
    }

    // CopyFail: Byte1('f') Int32 len, String message
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeCString(out, message);
    }
}
