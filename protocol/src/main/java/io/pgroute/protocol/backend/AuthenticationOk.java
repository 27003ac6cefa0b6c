package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;

/** Authentication succeeded. */
public record AuthenticationOk() implements Authentication {

    public static final AuthenticationOk INSTANCE = new AuthenticationOk();

    @Override
    public int code() {
        return OK;
    }

    // AuthenticationOk: Byte1('R') Int32 len = 8, Int32 OK
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(OK);
    }
}
