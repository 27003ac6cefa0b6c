package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;

/** A simple-protocol query: one or more SQL statements separated by semicolons. */
public record Query(String sql) implements FrontendMessage {

    @Override
    public FrontendType type() {
        return FrontendType.QUERY;
    }

    // Query: Byte1('Q') Int32 len, String sql
    public static Query decode(ByteBuf body) {
        String sql = PgBuffers.readCString(body);
        PgBuffers.requireEnd(body);
        return new Query(sql);
    }

    // Query: Byte1('Q') Int32 len, String sql
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeCString(out, sql);
    }
}
