package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;
import java.util.Arrays;

/** A chunk of COPY TO STDOUT data. Relayed as a {@code PgFrame} on the data path; this record is for tests. */
public record CopyData(byte[] data) implements BackendMessage {

    @Override
    public BackendType type() {
        return BackendType.COPY_DATA;
    }

    // CopyData: Byte1('d') Int32 len, Byte[len - 4] data
    public static CopyData decode(ByteBuf body) {
        return new CopyData(PgBuffers.readRemaining(body));
    }

    // CopyData: Byte1('d') Int32 len, Byte[len - 4] data
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeBytes(data);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CopyData that && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "CopyData[" + data.length + " bytes]";
    }
}
