package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;
import java.util.Arrays;

/** A later client message of a SASL exchange (for SCRAM, the client-final-message). */
public record SASLResponse(byte[] data) implements FrontendMessage {

    @Override
    public FrontendType type() {
        return FrontendType.PASSWORD;
    }

    // SASLResponse: Byte1('p') Int32 len, Byte[len - 4] data
    public static SASLResponse decode(ByteBuf body) {
        return new SASLResponse(PgBuffers.readRemaining(body));
    }

    // SASLResponse: Byte1('p') Int32 len, Byte[len - 4] data
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeBytes(data);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SASLResponse that && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "SASLResponse[" + data.length + " bytes]";
    }
}
