package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/** Carries the server's last SASL message (for SCRAM, the server-final-message). */
public record AuthenticationSASLFinal(byte[] data) implements Authentication {

    @Override
    public int code() {
        return SASL_FINAL;
    }

    // AuthenticationSASLFinal: Byte1('R') Int32 len, Int32 SASL_FINAL, Byte[len - 8] data
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(SASL_FINAL);
        out.writeBytes(data);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AuthenticationSASLFinal that && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "AuthenticationSASLFinal[" + data.length + " bytes]";
    }
}
