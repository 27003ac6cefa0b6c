package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;
import java.util.Arrays;
import java.util.Objects;

/**
 * Calls a function by OID (the legacy fast-path interface). Argument format codes as in Bind; a {@code null}
 * argument is SQL NULL. Arrays are shared, not copied: treat them as immutable.
 */
public record FunctionCall(int functionOid, short[] argumentFormats, byte[][] arguments, short resultFormat)
        implements FrontendMessage {

    @Override
    public FrontendType type() {
        return FrontendType.FUNCTION_CALL;
    }

    // FunctionCall: Byte1('F') Int32 len, Int32 oid, Int16 nf, Int16[nf] formats,
    //               Int16 na, (Int32 len (-1 = NULL), Byte[len])[na] args, Int16 result format
    public static FunctionCall decode(ByteBuf body) {
        int functionOid = PgBuffers.readInt(body);
        short[] argumentFormats = PgBuffers.readShortArray(body);
        byte[][] arguments = PgBuffers.readNullableBytesArray(body);
        short resultFormat = PgBuffers.readShort(body);
        PgBuffers.requireEnd(body);
        return new FunctionCall(functionOid, argumentFormats, arguments, resultFormat);
    }

    // FunctionCall: Byte1('F') Int32 len, Int32 oid, Int16 nf, Int16[nf] formats,
    //               Int16 na, (Int32 len (-1 = NULL), Byte[len])[na] args, Int16 result format
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(functionOid);
        PgBuffers.writeShortArray(out, argumentFormats);
        PgBuffers.writeNullableBytesArray(out, arguments);
        out.writeShort(resultFormat);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof FunctionCall that && functionOid == that.functionOid
                && resultFormat == that.resultFormat && Arrays.equals(argumentFormats, that.argumentFormats)
                && Arrays.deepEquals(arguments, that.arguments);
    }

    @Override
    public int hashCode() {
        return Objects.hash(functionOid, resultFormat, Arrays.hashCode(argumentFormats),
                Arrays.deepHashCode(arguments));
    }

    @Override
    public String toString() {
        return "FunctionCall[functionOid=" + functionOid + ", argumentFormats=" + Arrays.toString(argumentFormats)
                + ", arguments=" + arguments.length + " values, resultFormat=" + resultFormat + "]";
    }
}
