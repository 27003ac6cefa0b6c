package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.SqlState;
import java.util.Map;

/**
 * A notice (WARNING, NOTICE, INFO, LOG, DEBUG), as fields keyed by {@link ErrorField} codes in the order received.
 */
public record NoticeResponse(Map<Character, String> fields) implements BackendMessage {

    public NoticeResponse {
        fields = ErrorField.copy(fields);
    }

    public static NoticeResponse of(String severity, String sqlState, String message) {
        return new NoticeResponse(ErrorField.of(severity, sqlState, message));
    }

    public static NoticeResponse warning(String sqlState, String message) {
        return of("WARNING", sqlState, message);
    }

    public static NoticeResponse notice(String message) {
        return of("NOTICE", SqlState.SUCCESSFUL_COMPLETION, message);
    }

    public NoticeResponse withDetail(String detail) {
        return withField(ErrorField.DETAIL, detail);
    }

    public NoticeResponse withHint(String hint) {
        return withField(ErrorField.HINT, hint);
    }

    public NoticeResponse withField(char code, String value) {
        return new NoticeResponse(ErrorField.with(fields, code, value));
    }

    /** The non-localized severity if sent, else the localized one. */
    public String severity() {
        return ErrorField.severity(fields);
    }

    public String sqlState() {
        return fields.get(ErrorField.CODE);
    }

    public String message() {
        return fields.get(ErrorField.MESSAGE);
    }

    public String detail() {
        return fields.get(ErrorField.DETAIL);
    }

    public String hint() {
        return fields.get(ErrorField.HINT);
    }

    @Override
    public BackendType type() {
        return BackendType.NOTICE_RESPONSE;
    }

    // NoticeResponse: Byte1('N') Int32 len, (Byte1 field code, String value)*, Byte1 0
    public static NoticeResponse decode(ByteBuf body) {
        return new NoticeResponse(ErrorField.decode(body));
    }

    // NoticeResponse: Byte1('N') Int32 len, (Byte1 field code, String value)*, Byte1 0
    @Override
    public void encodeBody(ByteBuf out) {
        ErrorField.encode(fields, out);
    }

    @Override
    public String toString() {
        return ErrorField.describe("NoticeResponse", fields);
    }
}
