package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.HexFormat;

/** Asks for the password hashed with MD5 and the 4-byte salt. */
public record AuthenticationMD5Password(byte[] salt) implements Authentication {

    public AuthenticationMD5Password {
        if (salt.length != 4) {
            throw new IllegalArgumentException("salt must have 4 bytes, not " + salt.length);
        }
    }

    @Override
    public int code() {
        return MD5_PASSWORD;
    }

    // AuthenticationMD5Password: Byte1('R') Int32 len = 12, Int32 5, Byte4 salt
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(MD5_PASSWORD);
        out.writeBytes(salt);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AuthenticationMD5Password that && Arrays.equals(salt, that.salt);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(salt);
    }

    @Override
    public String toString() {
        return "AuthenticationMD5Password[salt=" + HexFormat.of().formatHex(salt) + "]";
    }
}
