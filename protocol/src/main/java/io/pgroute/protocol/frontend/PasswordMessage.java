package io.pgroute.protocol.frontend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;

/** A cleartext password or an {@code md5...} hash, in answer to the matching Authentication request. */
public record PasswordMessage(String password) implements FrontendMessage {

    @Override
    public FrontendType type() {
        return FrontendType.PASSWORD;
    }

    // PasswordMessage: Byte1('p') Int32 len, String password
    public static PasswordMessage decode(ByteBuf body) {
        String password = PgBuffers.readCString(body);
        PgBuffers.requireEnd(body);
        return new PasswordMessage(password);
    }

    // PasswordMessage: Byte1('p') Int32 len, String password
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeCString(out, password);
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "PasswordMessage[****]";
    }
}
