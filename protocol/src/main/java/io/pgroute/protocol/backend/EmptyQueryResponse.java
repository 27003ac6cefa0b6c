package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;

/** Stands in for CommandComplete when the query string was empty. */
public record EmptyQueryResponse() implements BackendMessage {

    public static final EmptyQueryResponse INSTANCE = new EmptyQueryResponse();

    @Override
    public BackendType type() {
        return BackendType.EMPTY_QUERY_RESPONSE;
    }

    // EmptyQueryResponse: Byte1('I') Int32 len = 4
    public static EmptyQueryResponse decode(ByteBuf body) {
        PgBuffers.requireEnd(body);
        return INSTANCE;
    }

    // EmptyQueryResponse: Byte1('I') Int32 len = 4
    @Override
    public void encodeBody(ByteBuf out) {
        // no body
    }
}
