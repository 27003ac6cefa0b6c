package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;
import java.util.Arrays;

/** The parameter type OIDs of a described statement. The array is shared, not copied. */
public record ParameterDescription(int[] types) implements BackendMessage {

    @Override
    public BackendType type() {
        return BackendType.PARAMETER_DESCRIPTION;
    }

    // ParameterDescription: Byte1('t') Int32 len, Int16 n, Int32[n] oids
    public static ParameterDescription decode(ByteBuf body) {
        int[] types = PgBuffers.readIntArray(body);
        PgBuffers.requireEnd(body);
        return new ParameterDescription(types);
    }

    // ParameterDescription: Byte1('t') Int32 len, Int16 n, Int32[n] oids
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeIntArray(out, types);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ParameterDescription that && Arrays.equals(types, that.types);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(types);
    }

    @Override
    public String toString() {
        return "ParameterDescription" + Arrays.toString(types);
    }
}
