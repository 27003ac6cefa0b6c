package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;
import java.util.Arrays;

/** The result of a FunctionCall; {@code null} for SQL NULL. */
public record FunctionCallResponse(byte[] value) implements BackendMessage {

    @Override
    public BackendType type() {
        return BackendType.FUNCTION_CALL_RESPONSE;
    }

    // FunctionCallResponse: Byte1('V') Int32 len, Int32 n (-1 = NULL), Byte[n] value
    public static FunctionCallResponse decode(ByteBuf body) {
        byte[] value = PgBuffers.readNullableBytes(body);
        PgBuffers.requireEnd(body);
        return new FunctionCallResponse(value);
    }

    // FunctionCallResponse: Byte1('V') Int32 len, Int32 n (-1 = NULL), Byte[n] value
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeNullableBytes(out, value);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof FunctionCallResponse that && Arrays.equals(value, that.value);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "FunctionCallResponse[" + (value == null ? "NULL" : value.length + " bytes") + "]";
    }
}
