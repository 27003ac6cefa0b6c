package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;
import java.util.Arrays;

/** A chunk of COPY FROM STDIN data. Relayed as a {@code PgFrame} on the data path; this record is for tests. */
public record CopyData(byte[] data) implements FrontendMessage {

    @Override
    public FrontendType type() {
        return FrontendType.COPY_DATA;
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
