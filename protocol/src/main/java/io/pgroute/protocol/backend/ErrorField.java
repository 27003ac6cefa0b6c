package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.ProtocolException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The field codes of ErrorResponse and NoticeResponse, and the field list both share.
 */
public final class ErrorField {

    public static final char SEVERITY = 'S';
    /** Severity, never localized (PostgreSQL 9.6+). */
    public static final char SEVERITY_NON_LOCALIZED = 'V';
    public static final char CODE = 'C';
    public static final char MESSAGE = 'M';
    public static final char DETAIL = 'D';
    public static final char HINT = 'H';
    public static final char POSITION = 'P';
    public static final char INTERNAL_POSITION = 'p';
    public static final char INTERNAL_QUERY = 'q';
    public static final char WHERE = 'W';
    public static final char SCHEMA_NAME = 's';
    public static final char TABLE_NAME = 't';
    public static final char COLUMN_NAME = 'c';
    public static final char DATA_TYPE_NAME = 'd';
    public static final char CONSTRAINT_NAME = 'n';
    public static final char FILE = 'F';
    public static final char LINE = 'L';
    public static final char ROUTINE = 'R';

    private ErrorField() {
    }

    static Map<Character, String> of(String severity, String sqlState, String message) {
        Map<Character, String> result = new LinkedHashMap<>();
        result.put(SEVERITY, severity);
        result.put(SEVERITY_NON_LOCALIZED, severity);
        result.put(CODE, sqlState);
        result.put(MESSAGE, message);
        return result;
    }

    static Map<Character, String> copy(Map<Character, String> fields) {
        fields.forEach((code, value) -> {
            if (code == 0 || code > 0x7F || value == null) {
                throw new IllegalArgumentException("field codes must be non-NUL ASCII and values non-null");
            }
        });
        return Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    static Map<Character, String> with(Map<Character, String> fields, char code, String value) {
        Map<Character, String> result = new LinkedHashMap<>(fields);
        result.put(code, value);
        return result;
    }

    static String severity(Map<Character, String> fields) {
        String result = fields.get(SEVERITY_NON_LOCALIZED);
        return result != null ? result : fields.get(SEVERITY);
    }

    // ErrorResponse/NoticeResponse body: (Byte1 code, String value)*, Byte1 0
    static Map<Character, String> decode(ByteBuf body) {
        Map<Character, String> result = new LinkedHashMap<>();
        while (true) {
            byte code = PgBuffers.readByte(body);
            if (code == 0) {
                break;
            }
            if (code < 0) {
                throw new ProtocolException("invalid error field code " + code);
            }
            result.put((char) code, PgBuffers.readCString(body));
        }
        PgBuffers.requireEnd(body);
        return result;
    }

    // ErrorResponse/NoticeResponse body: (Byte1 code, String value)*, Byte1 0
    static void encode(Map<Character, String> fields, ByteBuf out) {
        for (Map.Entry<Character, String> each : fields.entrySet()) {
            out.writeByte(each.getKey());
            PgBuffers.writeCString(out, each.getValue());
        }
        out.writeByte(0);
    }

    static String describe(String kind, Map<Character, String> fields) {
        StringBuilder result = new StringBuilder(kind).append('[').append(severity(fields)).append(' ')
                .append(fields.get(CODE)).append(' ').append(fields.get(MESSAGE));
        fields.forEach((code, value) -> {
            if (code != SEVERITY && code != SEVERITY_NON_LOCALIZED && code != CODE && code != MESSAGE) {
                result.append(", ").append(code).append('=').append(value);
            }
        });
        return result.append(']').toString();
    }
}
