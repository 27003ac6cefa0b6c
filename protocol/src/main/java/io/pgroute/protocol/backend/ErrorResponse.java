package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import java.util.Map;

/**
 * An error, as fields keyed by {@link ErrorField} codes in the order received. {@link #error} and {@link #fatal}
 * build what PostgreSQL sends: severity (localized and not), SQLSTATE and message.
 */
public record ErrorResponse(Map<Character, String> fields) implements BackendMessage {

    public ErrorResponse {
        fields = ErrorField.copy(fields);
    }

    /** An ERROR: the statement failed, the session goes on. */
    public static ErrorResponse error(String sqlState, String message) {
        return new ErrorResponse(ErrorField.of("ERROR", sqlState, message));
    }

    /** A FATAL error: the server closes the session after sending it. */
    public static ErrorResponse fatal(String sqlState, String message) {
        return new ErrorResponse(ErrorField.of("FATAL", sqlState, message));
    }

    public ErrorResponse withDetail(String detail) {
        return withField(ErrorField.DETAIL, detail);
    }

    public ErrorResponse withHint(String hint) {
        return withField(ErrorField.HINT, hint);
    }

    /** A copy with {@code code} set to {@code value} (replacing, in place, any value it had). */
    public ErrorResponse withField(char code, String value) {
        return new ErrorResponse(ErrorField.with(fields, code, value));
    }

    /** The non-localized severity if sent, else the localized one: ERROR, FATAL or PANIC. */
    public String severity() {
        return ErrorField.severity(fields);
    }

    public String sqlState() {
        return fields.get(ErrorField.CODE);
    }

    public String message() {
        return fields.get(ErrorField.MESSAGE);
    }

    /** The detail, or {@code null}. */
    public String detail() {
        return fields.get(ErrorField.DETAIL);
    }

    /** The hint, or {@code null}. */
    public String hint() {
        return fields.get(ErrorField.HINT);
    }

    /** Whether the server ends the session after this error (FATAL or PANIC). */
    public boolean isFatal() {
        String severity = severity();
        return "FATAL".equals(severity) || "PANIC".equals(severity);
    }

    @Override
    public BackendType type() {
        return BackendType.ERROR_RESPONSE;
    }

    // ErrorResponse: Byte1('E') Int32 len, (Byte1 field code, String value)*, Byte1 0
    public static ErrorResponse decode(ByteBuf body) {
        return new ErrorResponse(ErrorField.decode(body));
    }

    // ErrorResponse: Byte1('E') Int32 len, (Byte1 field code, String value)*, Byte1 0
    @Override
    public void encodeBody(ByteBuf out) {
        ErrorField.encode(fields, out);
    }

    @Override
    public String toString() {
        return ErrorField.describe("ErrorResponse", fields);
    }
}
