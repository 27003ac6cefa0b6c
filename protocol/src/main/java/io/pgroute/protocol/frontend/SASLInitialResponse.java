package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;
import java.util.Arrays;
import java.util.Objects;

/** Picks a SASL mechanism and carries the client's first message ({@code null} when the length is -1). */
public record SASLInitialResponse(String mechanism, byte[] data) implements FrontendMessage {

    @Override
    public FrontendType type() {
        return FrontendType.PASSWORD;
    }

    // SASLInitialResponse: Byte1('p') Int32 len, String mechanism, Int32 n (-1 = none), Byte[n] data
    public static SASLInitialResponse decode(ByteBuf body) {
        String mechanism = PgBuffers.readCString(body);
        byte[] data = PgBuffers.readNullableBytes(body);
        PgBuffers.requireEnd(body);
        return new SASLInitialResponse(mechanism, data);
    }

    // SASLInitialResponse: Byte1('p') Int32 len, String mechanism, Int32 n (-1 = none), Byte[n] data
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeCString(out, mechanism);
        PgBuffers.writeNullableBytes(out, data);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SASLInitialResponse that && mechanism.equals(that.mechanism)
                && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mechanism, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "SASLInitialResponse[mechanism=" + mechanism + ", " + (data == null ? "no data" : data.length + " bytes")
                + "]";
    }
}
