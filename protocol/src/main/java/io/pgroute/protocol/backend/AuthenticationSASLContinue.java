package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/** Carries the server's next SASL message (for SCRAM, the server-first-message). */
public record AuthenticationSASLContinue(byte[] data) implements Authentication {

    @Override
    public int code() {
        return SASL_CONTINUE;
    }

    // AuthenticationSASLContinue: Byte1('R') Int32 len, Int32 SASL_CONTINUE, Byte[len - 8] data
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(SASL_CONTINUE);
        out.writeBytes(data);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AuthenticationSASLContinue that && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "AuthenticationSASLContinue[" + data.length + " bytes]";
    }
}
