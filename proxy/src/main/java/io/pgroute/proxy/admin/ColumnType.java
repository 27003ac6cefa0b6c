package io.pgroute.proxy.admin;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The PostgreSQL types of console columns: OID, size and the text form of a value (the console sends text only).
 */
public enum ColumnType {
    TEXT(25, -1),
    INT8(20, 8),
    INT4(23, 4),
    BOOL(16, 1),
    NUMERIC(1700, -1),
    FLOAT8(701, 8),
    TIMESTAMPTZ(1184, 8);

    /** PostgreSQL's output with DateStyle ISO and TimeZone UTC. */
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSx")
            .withZone(ZoneOffset.UTC);

    private final int oid;
    private final short size;

    ColumnType(int oid, int size) {
        this.oid = oid;
        this.size = (short) size;
    }

    public int oid() {
        return oid;
    }

    public short size() {
        return size;
    }

    /** The value in PostgreSQL's text format, or null for SQL NULL. */
    public byte[] text(Object value) {
        if (value == null) {
            return null;
        }
        String result = switch (this) {
            case BOOL -> (Boolean) value ? "t" : "f";
            case TIMESTAMPTZ -> TIMESTAMP.format((Instant) value);
            case NUMERIC -> value instanceof BigDecimal decimal ? decimal.toPlainString() : value.toString();
            case INT8, INT4 -> Long.toString(((Number) value).longValue());
            case FLOAT8 -> Double.toString(((Number) value).doubleValue());
            case TEXT -> value.toString();
        };
        return result.getBytes(StandardCharsets.UTF_8);
    }
}
