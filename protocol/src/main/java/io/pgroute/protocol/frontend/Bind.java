package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;
import java.util.Arrays;
import java.util.Objects;

/**
 * Binds parameter values to a prepared statement, creating a portal. Format codes: none = all text, one = for all,
 * else one per parameter (or result column); 0 = text, 1 = binary. A {@code null} value is SQL NULL.
 * Arrays are shared, not copied: treat them as immutable.
 */
public record Bind(String portal, String statement, short[] parameterFormats, byte[][] parameterValues,
        short[] resultFormats) implements FrontendMessage {

    /** The number of parameter values. */
    public int parameterCount() {
        return parameterValues.length;
    }

    @Override
    public FrontendType type() {
        return FrontendType.BIND;
    }

    // Bind: Byte1('B') Int32 len, String portal, String statement, Int16 nf, Int16[nf] formats,
    //       Int16 nv, (Int32 len (-1 = NULL), Byte[len])[nv] values, Int16 nr, Int16[nr] result formats
    public static Bind decode(ByteBuf body) {
        String portal = PgBuffers.readCString(body);
        String statement = PgBuffers.readCString(body);
        short[] parameterFormats = PgBuffers.readShortArray(body);
        byte[][] parameterValues = PgBuffers.readNullableBytesArray(body);
        short[] resultFormats = PgBuffers.readShortArray(body);
        PgBuffers.requireEnd(body);
        return new Bind(portal, statement, parameterFormats, parameterValues, resultFormats);
    }

    // Bind: Byte1('B') Int32 len, String portal, String statement, Int16 nf, Int16[nf] formats,
    //       Int16 nv, (Int32 len (-1 = NULL), Byte[len])[nv] values, Int16 nr, Int16[nr] result formats
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeCString(out, portal);
        PgBuffers.writeCString(out, statement);
        PgBuffers.writeShortArray(out, parameterFormats);
        PgBuffers.writeNullableBytesArray(out, parameterValues);
        PgBuffers.writeShortArray(out, resultFormats);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Bind that && portal.equals(that.portal) && statement.equals(that.statement)
                && Arrays.equals(parameterFormats, that.parameterFormats)
                && Arrays.deepEquals(parameterValues, that.parameterValues)
                && Arrays.equals(resultFormats, that.resultFormats);
    }

    @Override
    public int hashCode() {
        return Objects.hash(portal, statement, Arrays.hashCode(parameterFormats), Arrays.deepHashCode(parameterValues),
                Arrays.hashCode(resultFormats));
    }

    @Override
    public String toString() {
        return "Bind[portal=" + portal + ", statement=" + statement + ", parameterFormats="
                + Arrays.toString(parameterFormats) + ", parameterValues=" + parameterValues.length
                + " values, resultFormats=" + Arrays.toString(resultFormats) + "]";
    }
}
