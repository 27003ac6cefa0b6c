package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;

/** Answers a Describe of a statement or portal that returns no rows. */
public record NoData() implements BackendMessage {

    public static final NoData INSTANCE = new NoData();

    @Override
    public BackendType type() {
        return BackendType.NO_DATA;
    }

    // NoData: Byte1('n') Int32 len = 4
    public static NoData decode(ByteBuf body) {
        PgBuffers.requireEnd(body);
        return INSTANCE;
    }

    // NoData: Byte1('n') Int32 len = 4
    @Override
    public void encodeBody(ByteBuf out) {
        // no body
    }
}
