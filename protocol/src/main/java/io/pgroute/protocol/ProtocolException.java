package io.pgroute.protocol;

import io.netty.handler.codec.DecoderException;

/**
 * Input that breaks the PostgreSQL wire protocol: a bad length, a truncated message, an unknown startup code.
 *
 * <p>Always SQLSTATE {@code 08P01} (protocol_violation). It extends Netty's {@link DecoderException} (itself a
 * {@link RuntimeException}) so that {@code ByteToMessageDecoder} passes it to {@code exceptionCaught} as it is,
 * instead of wrapping it in a {@code DecoderException} whose cause would have to be unwrapped.
 */
public final class ProtocolException extends DecoderException {

    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }

    /** The SQLSTATE to report to the peer: always {@value SqlState#PROTOCOL_VIOLATION}. */
    public String sqlState() {
        return SqlState.PROTOCOL_VIOLATION;
    }
}
