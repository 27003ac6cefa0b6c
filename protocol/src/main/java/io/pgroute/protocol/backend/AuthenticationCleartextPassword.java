package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;

/** Asks for the password in cleartext (a PasswordMessage). */
public record AuthenticationCleartextPassword() implements Authentication {

    public static final AuthenticationCleartextPassword INSTANCE = new AuthenticationCleartextPassword();

    @Override
    public int code() {
        return CLEARTEXT_PASSWORD;
    }

    // AuthenticationCleartextPassword: Byte1('R') Int32 len = 8, Int32 CLEARTEXT_PASSWORD
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(CLEARTEXT_PASSWORD);
    }
}
