package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;
import java.util.Arrays;

/**
 * One result row: a value per column, {@code null} for SQL NULL. Never decoded on the data path (rows are relayed
 * as frames); for the admin console and tests. Arrays are shared, not copied.
 */
public record DataRow(byte[][] values) implements BackendMessage {

    @Override
    public BackendType type() {
        return BackendType.DATA_ROW;
    }

    // DataRow: Byte1('D') Int32 len, Int16 n, (Int32 len (-1 = NULL), Byte[len])[n]
    public static DataRow decode(ByteBuf body) {
        byte[][] values = PgBuffers.readNullableBytesArray(body);
        PgBuffers.requireEnd(body);
        return new DataRow(values);
    }

    // DataRow: Byte1('D') Int32 len, Int16 n, (Int32 len (-1 = NULL), Byte[len])[n]
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeNullableBytesArray(out, values);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DataRow that && Arrays.deepEquals(values, that.values);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(values);
    }

    @Override
    public String toString() {
        return "DataRow[" + values.length + " values]";
    }
}
