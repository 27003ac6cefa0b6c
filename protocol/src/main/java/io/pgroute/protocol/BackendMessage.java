package io.pgroute.protocol;

import io.netty.buffer.ByteBuf;

/**
 * A typed message a server sends. {@code MessageEncoder} writes the type byte and the length; the message writes
 * only its body.
 */
public interface BackendMessage {

    BackendType type();

    /** Writes everything after the type byte and the Int32 length. */
    void encodeBody(ByteBuf out);
}
