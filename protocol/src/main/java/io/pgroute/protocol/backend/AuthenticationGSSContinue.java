package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/** Carries GSSAPI or SSPI data. */
public record AuthenticationGSSContinue(byte[] data) implements Authentication {

    @Override
    public int code() {
        return GSS_CONTINUE;
    }

    // AuthenticationGSSContinue: Byte1('R') Int32 len, Int32 GSS_CONTINUE, Byte[len - 8] data
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(GSS_CONTINUE);
        out.writeBytes(data);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AuthenticationGSSContinue that && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "AuthenticationGSSContinue[" + data.length + " bytes]";
    }
}
