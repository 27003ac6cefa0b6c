package io.pgroute.proxy.session;

import io.pgroute.proxy.backend.SessionSettings;

import java.util.Locale;
import java.util.Map;

/**
 * Whether a session's transactions are serializable by default: its {@code default_transaction_isolation}, as SET
 * (and committed), else as given at startup (a parameter of its own, or {@code options=-c …} / {@code --…}). A hot
 * standby refuses every serializable transaction, read-only ones and a lone autocommit SELECT's too (0A000 "cannot
 * use serializable mode in a hot standby"), so such a session's reads go to the primary, which answers them as
 * PostgreSQL would (COMPAT R2). Neither set nor given, it is the default of the server's sessions: what
 * {@code ALTER ROLE}, {@code ALTER DATABASE} or the configuration make it for the database's role, as the control plane
 * read it or a replica's refusal showed ({@code serverDefault}).
 */
final class SerializableDefault {

    private static final String NAME = "default_transaction_isolation";

    /** The verdict on the value given at startup; null when none was. */
    private final Boolean atStartup;
    private final java.util.function.BooleanSupplier serverDefault;
    /** The SET value last judged, and the verdict: a session that set it is asked on every read. */
    private String lastValue;
    private boolean lastVerdict;

    SerializableDefault(Map<String, String> startupParameters, java.util.function.BooleanSupplier serverDefault) {
        String value = startupParameters.get(NAME);
        String options = startupParameters.get("options");
        String fromOptions = options == null ? null : fromOptions(options);
        String given = fromOptions != null ? fromOptions : value;
        this.atStartup = given == null ? null : isSerializable(given);
        this.serverDefault = serverDefault;
    }

    /** Whether transactions are serializable by default with the session's committed {@code settings}. */
    boolean serializable(SessionSettings settings) {
        String value = settings.isEmpty() ? null : settings.get(NAME);
        if (value == null) {
            return atStartup != null ? atStartup : serverDefault.getAsBoolean();
        }
        if (!value.equals(lastValue)) {
            lastValue = value;
            lastVerdict = isSerializable(value);
        }
        return lastVerdict;
    }

    /** {@code value} as written in a SET or an option ({@code 'Serializable'}, {@code "serializable"}) names it. */
    static boolean isSerializable(String value) {
        return value != null && value.replace("'", "").replace("\"", "").strip().toLowerCase(Locale.ROOT)
                .equals("serializable");
    }

    /**
     * The last value {@code options} gives the parameter, or null: PostgreSQL splits them at unescaped white space
     * ({@code \ } keeps one) and takes {@code -c name=value}, {@code -cname=value} and {@code --name=value}, with
     * dashes in the name read as underscores.
     */
    static String fromOptions(String options) {
        String result = null;
        String[] words = options.strip().split("(?<!\\\\)\\s+");
        for (int i = 0; i < words.length; i++) {
            String word = words[i].replace("\\ ", " ").replace("\\\\", "\\");
            String setting = null;
            if (word.equals("-c") && i + 1 < words.length) {
                setting = words[++i].replace("\\ ", " ").replace("\\\\", "\\");
            } else if (word.startsWith("-c")) {
                setting = word.substring(2);
            } else if (word.startsWith("--")) {
                setting = word.substring(2);
            }
            int equals = setting == null ? -1 : setting.indexOf('=');
            if (equals > 0 && setting.substring(0, equals).replace('-', '_').toLowerCase(Locale.ROOT).equals(NAME)) {
                result = setting.substring(equals + 1);
            }
        }
        return result;
    }
}
