package io.pgroute.proxy.session;

import io.pgroute.proxy.backend.SessionSettings;

import java.util.Locale;
import java.util.Map;

/**
 * Whether one of a session's settings holds a kind of value, counting where it may come from: the session's SET (and
 * committed), else what it gave at startup (a parameter of its own, or {@code options=-c …} / {@code --…}), else the
 * default of the server's sessions: what {@code ALTER ROLE}, {@code ALTER DATABASE} or the configuration make it for
 * the database's role, as the control plane read it ({@code serverDefault}).
 *
 * <ul>
 *   <li>{@link #serializable}: transactions serializable by default. A hot standby refuses every serializable
 *       transaction, read-only ones and a lone autocommit SELECT's too (0A000 "cannot use serializable mode in a hot
 *       standby"), so such a session's reads go to the primary, which answers them as PostgreSQL would (COMPAT R2).
 *   <li>{@link #asynchronousCommit}: {@code synchronous_commit} off. Such a commit is visible on the primary before
 *       its WAL is written, which read-your-writes watermarks must cover.
 * </ul>
 */
final class SettingDefault {

    private final String name;
    private final java.util.function.Predicate<String> holds;
    /** The verdict on the value given at startup; null when none was. */
    private final Boolean atStartup;
    private final java.util.function.BooleanSupplier serverDefault;
    /** The SET value last judged, and the verdict: a session that set it is asked on every read. */
    private String lastValue;
    private boolean lastVerdict;

    private SettingDefault(String name, java.util.function.Predicate<String> holds,
                           Map<String, String> startupParameters, java.util.function.BooleanSupplier serverDefault) {
        this.name = name;
        this.holds = holds;
        String value = startupParameters.get(name);
        String options = startupParameters.get("options");
        String fromOptions = options == null ? null : fromOptions(options, name);
        String given = fromOptions != null ? fromOptions : value;
        this.atStartup = given == null ? null : holds.test(given);
        this.serverDefault = serverDefault;
    }

    /** Whether the session's transactions are serializable by default. */
    static SettingDefault serializable(Map<String, String> startupParameters,
                                       java.util.function.BooleanSupplier serverDefault) {
        return new SettingDefault("default_transaction_isolation", SettingDefault::isSerializable, startupParameters,
                serverDefault);
    }

    /** Whether the session's commits are asynchronous ({@code synchronous_commit} off). */
    static SettingDefault asynchronousCommit(Map<String, String> startupParameters,
                                             java.util.function.BooleanSupplier serverDefault) {
        return new SettingDefault("synchronous_commit", SettingDefault::isOff, startupParameters, serverDefault);
    }

    /** Whether the setting holds such a value with the session's committed {@code settings}. */
    boolean holds(SessionSettings settings) {
        String value = settings.isEmpty() ? null : settings.get(name);
        if (value == null) {
            return atStartup != null ? atStartup : serverDefault.getAsBoolean();
        }
        if (!value.equals(lastValue)) {
            lastValue = value;
            lastVerdict = holds.test(value);
        }
        return lastVerdict;
    }

    /** {@code value} as written in a SET or an option ({@code 'Serializable'}, {@code "serializable"}) names it. */
    static boolean isSerializable(String value) {
        return io.pgroute.proxy.routing.RoleDefaults.isSerializable(value);
    }

    /** {@code value}, written as in a SET or an option, is one {@code synchronous_commit} reads as off. */
    static boolean isOff(String value) {
        return io.pgroute.proxy.routing.RoleDefaults.isOff(value);
    }

    /**
     * The last value {@code options} gives the parameter, or null: PostgreSQL splits them at unescaped white space
     * ({@code \ } keeps one) and takes {@code -c name=value}, {@code -cname=value} and {@code --name=value}, with
     * dashes in the name read as underscores.
     */
    static String fromOptions(String options, String name) {
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
            if (equals > 0 && setting.substring(0, equals).replace('-', '_').toLowerCase(Locale.ROOT).equals(name)) {
                result = setting.substring(equals + 1);
            }
        }
        return result;
    }
}
