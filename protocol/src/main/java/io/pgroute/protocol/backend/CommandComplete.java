package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;

/** Ends a command with its tag, e.g. {@code SELECT 5}, {@code INSERT 0 1}, {@code CREATE TABLE}. */
public record CommandComplete(String tag) implements BackendMessage {

    @Override
    public BackendType type() {
        return BackendType.COMMAND_COMPLETE;
    }

    /** The row count at the end of the tag (e.g. 5 for {@code SELECT 5}), or -1 if the tag has none. */
    public long rows() {
        int start = tag.lastIndexOf(' ') + 1;
        if (start == 0 || start == tag.length() || tag.length() - start > 18) {
            return -1;
        }
        long result = 0;
        for (int i = start; i < tag.length(); i++) {
            char each = tag.charAt(i);
            if (each < '0' || each > '9') {
                return -1;
            }
            result = result * 10 + (each - '0');
        }
        return result;
    }

    // CommandComplete: Byte1('C') Int32 len, String tag
    public static CommandComplete decode(ByteBuf body) {
        String tag = PgBuffers.readCString(body);
        PgBuffers.requireEnd(body);
        return new CommandComplete(tag);
    }

    // CommandComplete: Byte1('C') Int32 len, String tag
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeCString(out, tag);
    }
}
