package io.pgroute.proxy.admin;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The PostgreSQL types of console columns: OID, size, and a value's text and binary forms (pgjdbc asks for binary
 * results once it has seen a statement's column types).
 */
public enum ColumnType {
    TEXT(25, -1),
    INT8(20, 8),
    INT4(23, 4),
    BOOL(16, 1),
    FLOAT8(701, 8),
    TIMESTAMPTZ(1184, 8);

    /** PostgreSQL's output with DateStyle ISO and TimeZone UTC. */
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSx")
            .withZone(ZoneOffset.UTC);

    /** 2000-01-01T00:00:00Z, where PostgreSQL's binary timestamps count from. */
    private static final long POSTGRES_EPOCH_SECONDS = 946_684_800L;

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
            case INT8, INT4 -> Long.toString(((Number) value).longValue());
            case FLOAT8 -> BigDecimal.valueOf(((Number) value).doubleValue()).stripTrailingZeros().toPlainString();
            case TEXT -> value.toString();
        };
        return result.getBytes(StandardCharsets.UTF_8);
    }

    /** The value in PostgreSQL's binary format, or null for SQL NULL. */
    public byte[] binary(Object value) {
        if (value == null) {
            return null;
        }
        return switch (this) {
            case TEXT -> value.toString().getBytes(StandardCharsets.UTF_8);
            case INT8 -> ByteBuffer.allocate(8).putLong(((Number) value).longValue()).array();
            case INT4 -> ByteBuffer.allocate(4).putInt(((Number) value).intValue()).array();
            case BOOL -> new byte[] {(byte) ((Boolean) value ? 1 : 0)};
            case FLOAT8 -> ByteBuffer.allocate(8).putDouble(((Number) value).doubleValue()).array();
            case TIMESTAMPTZ -> {
                Instant instant = (Instant) value;
                long micros = (instant.getEpochSecond() - POSTGRES_EPOCH_SECONDS) * 1_000_000L
                        + instant.getNano() / 1_000;
                yield ByteBuffer.allocate(8).putLong(micros).array();
            }
        };
    }

    /** The value in {@code format} (0 text, 1 binary). */
    public byte[] encode(Object value, short format) {
        return format == 1 ? binary(value) : text(value);
    }
}
