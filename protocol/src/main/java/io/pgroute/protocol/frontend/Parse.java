package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;
import java.util.Arrays;

/**
 * Prepares a statement: its name ({@code ""} = the unnamed statement), its SQL and the type OIDs of the parameters
 * the client specifies (0 = let the server infer).
 * The array is shared, not copied: treat it as immutable.
 */
public record Parse(String name, String sql, int[] parameterTypes) implements FrontendMessage {

    @Override
    public FrontendType type() {
        return FrontendType.PARSE;
    }

    // Parse: Byte1('P') Int32 len, String name, String query, Int16 n, Int32[n] oids
    public static Parse decode(ByteBuf body) {
        String name = PgBuffers.readCString(body);
        String sql = PgBuffers.readCString(body);
        int[] parameterTypes = PgBuffers.readIntArray(body);
        PgBuffers.requireEnd(body);
        return new Parse(name, sql, parameterTypes);
    }

    /**
     * The Parse in {@code body} whose name and text were read already ({@code PgFrame.cString} keeps them): the rest
     * is read from {@code body}, which does not move, and checked as {@link #decode} checks it.
     */
    public static Parse decodeRest(ByteBuf body, String name, String sql) {
        int at = PgBuffers.afterCStrings(body, body.readerIndex(), 2);
        if (at < 0) {
            throw new io.pgroute.protocol.ProtocolException("invalid string in message");
        }
        // a slice, not a duplicate: a pooled slice's duplicate has its parent's indices
        ByteBuf rest = body.slice(at, body.writerIndex() - at);
        int[] parameterTypes = PgBuffers.readIntArray(rest);
        PgBuffers.requireEnd(rest);
        return new Parse(name, sql, parameterTypes);
    }

    // Parse: Byte1('P') Int32 len, String name, String query, Int16 n, Int32[n] oids
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeCString(out, name);
        PgBuffers.writeCString(out, sql);
        PgBuffers.writeIntArray(out, parameterTypes);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Parse that && name.equals(that.name) && sql.equals(that.sql)
                && Arrays.equals(parameterTypes, that.parameterTypes);
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + sql.hashCode()) * 31 + Arrays.hashCode(parameterTypes);
    }

    @Override
    public String toString() {
        return "Parse[name=" + name + ", sql=" + sql + ", parameterTypes=" + Arrays.toString(parameterTypes) + "]";
    }
}
