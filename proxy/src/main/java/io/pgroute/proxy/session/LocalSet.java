package io.pgroute.proxy.session;

import io.pgroute.proxy.sql.SettingChange;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A SET that pgroute may answer itself, because the server could not refuse it and pgroute knows what the server
 * would report: the settings drivers and ORMs send on every new connection (COMPAT G12: pgjdbc's {@code SET
 * extra_float_digits = 3} and {@code SET application_name = 'PostgreSQL JDBC Driver'}, each a round trip of its
 * own; Rails' {@code client_min_messages}, {@code standard_conforming_strings}, {@code intervalstyle}, {@code SET
 * SESSION timezone TO 'UTC'}). The setting is then only recorded, and set on a server connection with the client's
 * other settings when its next request leases one. Only values PostgreSQL accepts whatever the server's state:
 * anything else (another parameter, a value pgroute would have to judge like the server, a list, an escape) goes
 * to a server as before.
 *
 * @param reportedName  the parameter's name as PostgreSQL reports it in a ParameterStatus, or null if it does not
 * @param reportedValue the value PostgreSQL would report
 */
record LocalSet(String reportedName, String reportedValue) {

    /** Most characters of an application_name answered here (PostgreSQL keeps 63 bytes of it in pg_stat_activity). */
    private static final int MAX_APPLICATION_NAME = 63;
    private static final Set<String> CLIENT_MIN_MESSAGES = Set.of("debug5", "debug4", "debug3", "debug2", "debug1",
            "log", "notice", "warning", "error");
    private static final Set<String> INTERVAL_STYLES = Set.of("postgres", "postgres_verbose", "sql_standard",
            "iso_8601");
    /** standard_conforming_strings values that turn it on, the only state pgroute's statement analysis reads. */
    private static final Set<String> ON = Set.of("on", "true", "yes", "1");
    private static final Map<String, String> REPORTED_NAMES = Map.of("application_name", "application_name",
            "intervalstyle", "IntervalStyle", "standard_conforming_strings", "standard_conforming_strings",
            "timezone", "TimeZone");

    /** The SET {@code change} as pgroute would answer it, or null if a server must run it. */
    static LocalSet of(SettingChange change) {
        if (change == null || change.local() || change.value() == null) {
            return null;
        }
        String value = scalar(change.value());
        if (value == null) {
            return null;
        }
        String name = change.name().toLowerCase(Locale.ROOT);
        String reported = switch (name) {
            case "extra_float_digits" -> extraFloatDigits(value);
            case "application_name" -> change.value().strip().startsWith("'") && printableAscii(value)
                    && value.length() <= MAX_APPLICATION_NAME ? value : null;  // a word might be a reserved one
            case "client_min_messages" -> CLIENT_MIN_MESSAGES.contains(value.toLowerCase(Locale.ROOT)) ? value : null;
            case "intervalstyle" -> INTERVAL_STYLES.contains(value.toLowerCase(Locale.ROOT))
                    ? value.toLowerCase(Locale.ROOT) : null;
            case "standard_conforming_strings" -> ON.contains(value.toLowerCase(Locale.ROOT)) ? "on" : null;
            case "timezone" -> value.equalsIgnoreCase("UTC") ? "UTC" : null;  // always known, however spelt
            default -> null;
        };
        return reported == null ? null : new LocalSet(REPORTED_NAMES.get(name), reported);
    }

    /**
     * The one value {@code text} (what followed TO or =) says, as PostgreSQL reads it: a string literal without
     * escapes, an unquoted word (in lower case, as the parser folds it), or a signed integer; null for anything else.
     */
    static String scalar(String text) {
        String value = text.strip();
        if (value.length() >= 2 && value.charAt(0) == '\'' && value.charAt(value.length() - 1) == '\'') {
            String inner = value.substring(1, value.length() - 1);
            if (inner.indexOf('\\') >= 0) {
                return null;  // read one way or another by standard_conforming_strings
            }
            StringBuilder result = new StringBuilder(inner.length());
            for (int i = 0; i < inner.length(); i++) {
                char c = inner.charAt(i);
                if (c == '\'') {
                    if (i + 1 >= inner.length() || inner.charAt(i + 1) != '\'') {
                        return null;  // two literals ('a' 'b'), or a list
                    }
                    i++;
                }
                result.append(c);
            }
            return result.toString();
        }
        if (value.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            return value.toLowerCase(Locale.ROOT);
        }
        if (value.matches("[+-]?[0-9]{1,9}")) {
            return value;
        }
        return null;
    }

    private static String extraFloatDigits(String value) {
        if (!value.matches("[+-]?[0-9]{1,9}")) {
            return null;
        }
        int digits = Integer.parseInt(value);
        return digits >= -15 && digits <= 3 ? value : null;
    }

    private static boolean printableAscii(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                return false;
            }
        }
        return true;
    }
}
