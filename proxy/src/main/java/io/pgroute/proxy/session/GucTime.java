package io.pgroute.proxy.session;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value of a time parameter whose unit is milliseconds ({@code idle_session_timeout}), as a client wrote it in
 * SET and PostgreSQL accepted it: a number with an optional unit ({@code us ms s min h d}), quoted or not.
 */
final class GucTime {

    private static final Pattern VALUE = Pattern.compile("([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)\\s*(us|ms|s|min|h|d)?");

    private GucTime() {
    }

    /**
     * The value in nanoseconds: 0 for none (null, DEFAULT, 0), -1 when it cannot be read (pgroute then keeps no
     * timeout; the server accepted the value, so this means a form this reader does not know).
     */
    static long nanos(String written) {
        if (written == null) {
            return 0;
        }
        String value = written.strip();
        if (value.length() >= 2 && (value.charAt(0) == '\'' || value.charAt(0) == '"')
                && value.charAt(value.length() - 1) == value.charAt(0)) {
            value = value.substring(1, value.length() - 1).strip();
        }
        if (value.equalsIgnoreCase("default")) {
            return 0;
        }
        Matcher matcher = VALUE.matcher(value.toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            return -1;
        }
        double number = Double.parseDouble(matcher.group(1));
        String unit = matcher.group(2) == null ? "ms" : matcher.group(2);
        double nanosPerUnit = switch (unit) {
            case "us" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "min" -> 60e9;
            case "h" -> 3600e9;
            default -> 86400e9;
        };
        // PostgreSQL rounds to its base unit, the millisecond
        return Math.round(number * nanosPerUnit / 1e6) * 1_000_000L;
    }
}
