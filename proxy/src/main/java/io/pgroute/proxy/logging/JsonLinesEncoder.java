package io.pgroute.proxy.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes each event as one JSON object on one line ({@code logging.format: json}), for log shippers:
 * {@code timestamp} (ISO-8601, UTC, milliseconds), {@code level}, {@code logger}, {@code thread}, {@code message},
 * then every MDC entry as a field of its own (sorted by key), then {@code exception} (the stack trace as one string)
 * when there is one.
 *
 * <p>Logback's own {@code JsonEncoder} is not used: it writes epoch milliseconds, nests the MDC under {@code mdc} and
 * breaks the stack trace into an object per frame, none of which a shipper's usual "JSON lines" parser expects.
 */
public final class JsonLinesEncoder extends EncoderBase<ILoggingEvent> {

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneOffset.UTC);
    /** Fields of every line; an MDC key of the same name is written as {@code mdc.<key>} instead. */
    private static final Set<String> FIXED = Set.of("timestamp", "level", "logger", "thread", "message", "exception");
    private static final byte[] NOTHING = new byte[0];
    private static final String HEX = "0123456789abcdef";

    @Override
    public byte[] headerBytes() {
        return NOTHING;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(256);
        line.append('{');
        field(line, "timestamp", TIMESTAMP.format(event.getInstant()));
        line.append(',');
        field(line, "level", event.getLevel().toString());
        line.append(',');
        field(line, "logger", event.getLoggerName());
        line.append(',');
        field(line, "thread", event.getThreadName());
        line.append(',');
        field(line, "message", event.getFormattedMessage());
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null && !mdc.isEmpty()) {
            new TreeMap<>(mdc).forEach((key, value) -> {
                line.append(',');
                field(line, FIXED.contains(key) ? "mdc." + key : key, value);
            });
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.append(',');
            field(line, "exception", ThrowableProxyUtil.asString(thrown).stripTrailing());
        }
        line.append("}\n");
        return line.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] footerBytes() {
        return NOTHING;
    }

    private static void field(StringBuilder line, String name, String value) {
        string(line, name);
        line.append(':');
        if (value == null) {
            line.append("null");
        } else {
            string(line, value);
        }
    }

    /** A JSON string literal (RFC 8259): quote, backslash and control characters escaped, so a value is one line. */
    static void string(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char each = value.charAt(i);
            switch (each) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (each < 0x20 || each == '\u2028' || each == '\u2029') {
                        out.append("\\u").append(HEX.charAt(each >> 12 & 0xF)).append(HEX.charAt(each >> 8 & 0xF))
                                .append(HEX.charAt(each >> 4 & 0xF)).append(HEX.charAt(each & 0xF));
                    } else {
                        out.append(each);
                    }
                }
            }
        }
        out.append('"');
    }
}
