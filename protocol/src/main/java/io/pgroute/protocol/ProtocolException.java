package io.pgroute.protocol;

import io.netty.handler.codec.DecoderException;

/**
 * Input that breaks the PostgreSQL wire protocol: a bad length, a truncated message, an unknown startup code.
 *
 * <p>SQLSTATE {@code 08P01} (protocol_violation), or {@code 0A000} for a protocol version we do not speak, as
 * PostgreSQL reports it. It extends Netty's {@link DecoderException} (itself a
 * {@link RuntimeException}) so that {@code ByteToMessageDecoder} passes it to {@code exceptionCaught} as it is,
 * instead of wrapping it in a {@code DecoderException} whose cause would have to be unwrapped.
 */
public final class ProtocolException extends DecoderException {

    private static final long serialVersionUID = 1L;

    private final String sqlState;

    public ProtocolException(String message) {
        this(SqlState.PROTOCOL_VIOLATION, message);
    }

    public ProtocolException(String sqlState, String message) {
        super(message);
        this.sqlState = sqlState;
    }

    /** The SQLSTATE to report to the peer. */
    public String sqlState() {
        return sqlState;
    }
}
