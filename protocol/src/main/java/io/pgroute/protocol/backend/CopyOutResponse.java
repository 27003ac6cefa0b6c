package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;
import java.util.Arrays;

/** Starts a COPY TO STDOUT: the server sends CopyData, then CopyDone. Overall format 0 = text, 1 = binary; one format code per column. */
public record CopyOutResponse(byte format, short[] columnFormats) implements BackendMessage {

    @Override
    public BackendType type() {
        return BackendType.COPY_OUT_RESPONSE;
    }

    // CopyOutResponse: Byte1('H') Int32 len, Int8 format, Int16 n, Int16[n] column formats
    public static CopyOutResponse decode(ByteBuf body) {
        byte format = PgBuffers.readByte(body);
        short[] columnFormats = PgBuffers.readShortArray(body);
        PgBuffers.requireEnd(body);
        return new CopyOutResponse(format, columnFormats);
    }

    // CopyOutResponse: Byte1('H') Int32 len, Int8 format, Int16 n, Int16[n] column formats
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeByte(format);
        PgBuffers.writeShortArray(out, columnFormats);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CopyOutResponse that && format == that.format && Arrays.equals(columnFormats, that.columnFormats);
    }

    @Override
    public int hashCode() {
        return 31 * format + Arrays.hashCode(columnFormats);
    }

    @Override
    public String toString() {
        return "CopyOutResponse[format=" + format + ", columnFormats=" + Arrays.toString(columnFormats) + "]";
    }
}
