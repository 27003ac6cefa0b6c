package io.pgroute.proxy.routing;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a new session of each role starts with in one database, for the settings read placement depends on
 * ({@code default_transaction_isolation}, {@code synchronous_commit}): as PostgreSQL applies them at login,
 * {@code ALTER ROLE … IN DATABASE … SET} first, then {@code ALTER ROLE … SET}, then {@code ALTER DATABASE … SET}, then
 * {@code ALTER ROLE ALL SET}, then the server's configuration (PostgreSQL's {@code process_settings} order). Read from {@code pg_db_role_setting} by the catalog refresher, whichever role it logs in
 * as, so that sessions logging in as other roles (the clients' own, without {@code databases.*.user}) are judged by
 * their own defaults. Immutable.
 */
public final class RoleDefaults {

    static final String ISOLATION = "default_transaction_isolation";
    static final String SYNCHRONOUS_COMMIT = "synchronous_commit";

    /** Before the first read: PostgreSQL's built-in defaults (read committed, synchronous). */
    public static final RoleDefaults BUILT_IN = new RoleDefaults(Map.of(), Map.of(), Map.of());

    /**
     * One row of {@code pg_db_role_setting}: {@code role} null for every role ({@code ALTER DATABASE … SET} with
     * {@code inDatabase}, {@code ALTER ROLE ALL SET} without), {@code inDatabase} false for every database.
     */
    public record Row(String role, boolean inDatabase, List<String> settings) {
    }

    /**
     * One row of {@code pg_settings} as the catalog refresher's own session sees it: {@code source} says whether
     * {@code setting} is the server's or one of its own role's, database's or session's (then the server's is not
     * shown).
     */
    public record ServerSetting(String name, String setting, String source, String bootValue) {
    }

    /** {@code pg_settings.source} values under which {@code setting} is not the server's configured value. */
    private static final java.util.Set<String> NOT_THE_SERVERS = java.util.Set.of("database", "user",
            "database user", "client", "session");

    /**
     * The server's configured values from {@code rows}. Where the refresher's session shows a value of its own role or
     * database instead, the configuration file's ({@code file}: {@code pg_file_settings}' applied values, null when
     * that view is not readable, as for every role but a superuser) or else the built-in one; when the file cannot
     * be read, the value that is safe to assume (see {@link #assumedWhenHidden}).
     */
    public static Map<String, String> serverValues(List<ServerSetting> rows, Map<String, String> file) {
        Map<String, String> result = new HashMap<>();
        for (ServerSetting each : rows) {
            String name = each.name().toLowerCase(Locale.ROOT);
            if (!NOT_THE_SERVERS.contains(each.source())) {
                result.put(name, each.setting());
            } else if (file != null) {
                result.put(name, file.getOrDefault(name, each.bootValue()));
            } else {
                result.put(name, assumedWhenHidden(name, each.bootValue()));
            }
        }
        return result;
    }

    /** The names of {@code rows} whose server value the session does not show (empty: none). */
    public static List<String> hidden(List<ServerSetting> rows) {
        return rows.stream().filter(each -> NOT_THE_SERVERS.contains(each.source())).map(ServerSetting::name).toList();
    }

    /**
     * What to take for a server value that cannot be read: for {@code synchronous_commit}, off (a commit that may be
     * asynchronous is waited for as one, never taken as flushed when it is not); for the isolation, serializable
     * (the reads of such a session go to the primary, which serves them at any level; a replica would refuse
     * serializable ones).
     */
    static String assumedWhenHidden(String name, String bootValue) {
        return switch (name) {
            case SYNCHRONOUS_COMMIT -> "off";
            case ISOLATION -> "serializable";
            default -> bootValue;
        };
    }

    /** What read placement asks of a role's defaults, judged once (it asks for every statement). */
    private record Verdict(boolean serializable, boolean asynchronous) {
    }

    private final Map<String, Map<String, String>> byRole;
    private final Map<String, String> database;
    private final Map<String, String> server;
    /** Verdicts of the roles with settings of their own; {@link #others} for every other role. */
    private final Map<String, Verdict> verdicts;
    private final Verdict others;
    private final boolean anyAsynchronous;

    private RoleDefaults(Map<String, Map<String, String>> byRole, Map<String, String> database,
                         Map<String, String> server) {
        this.byRole = byRole;
        this.database = database;
        this.server = server;
        this.others = verdict(null);
        Map<String, Verdict> judged = new HashMap<>();
        boolean any = others.asynchronous();
        for (String role : byRole.keySet()) {
            Verdict verdict = verdict(role);
            judged.put(role, verdict);
            any |= verdict.asynchronous();
        }
        this.verdicts = Map.copyOf(judged);
        this.anyAsynchronous = any;
    }

    private Verdict verdict(String role) {
        return new Verdict(isSerializable(value(role, ISOLATION)), isOff(value(role, SYNCHRONOUS_COMMIT)));
    }

    /**
     * The defaults from {@code rows} (those of this database and of all databases) over the server's own values
     * ({@code server}: name to value, the configuration's, not a role's or the database's).
     */
    public static RoleDefaults of(List<Row> rows, Map<String, String> server) {
        Map<String, Map<String, String>> roleInDatabase = new HashMap<>();
        Map<String, Map<String, String>> role = new HashMap<>();
        Map<String, String> database = new HashMap<>();
        Map<String, String> allRoles = new HashMap<>();
        for (Row each : rows) {
            Map<String, String> target = each.role() == null ? (each.inDatabase() ? database : allRoles)
                    : (each.inDatabase() ? roleInDatabase : role).computeIfAbsent(each.role(), key -> new HashMap<>());
            for (String setting : each.settings()) {
                int equals = setting.indexOf('=');
                if (equals > 0) {
                    String name = setting.substring(0, equals).strip().toLowerCase(Locale.ROOT);
                    if (name.equals(ISOLATION) || name.equals(SYNCHRONOUS_COMMIT)) {
                        target.put(name, setting.substring(equals + 1));
                    }
                }
            }
        }
        Map<String, Map<String, String>> byRole = new HashMap<>();
        role.forEach((name, values) -> byRole.computeIfAbsent(name, key -> new HashMap<>()).putAll(values));
        roleInDatabase.forEach((name, values) -> byRole.computeIfAbsent(name, key -> new HashMap<>()).putAll(values));
        Map<String, String> serverValues = new HashMap<>();
        server.forEach((name, value) -> serverValues.put(name.toLowerCase(Locale.ROOT), value));
        serverValues.putAll(allRoles);  // ALTER ROLE ALL SET: over the configuration, under everything else
        byRole.replaceAll((name, values) -> Map.copyOf(values));
        return new RoleDefaults(Map.copyOf(byRole), Map.copyOf(database), Map.copyOf(serverValues));
    }

    /** The value a new session of {@code role} starts with, or null when not known (the built-in default). */
    String value(String role, String name) {
        Map<String, String> own = role == null ? null : byRole.get(role);
        if (own != null && own.containsKey(name)) {
            return own.get(name);
        }
        return database.containsKey(name) ? database.get(name) : server.get(name);
    }

    /** Whether a session of {@code role} runs serializable transactions unless it says otherwise. */
    public boolean serializable(String role) {
        return (role == null ? others : verdicts.getOrDefault(role, others)).serializable();
    }

    /** Whether a session of {@code role} commits asynchronously unless it says otherwise. */
    public boolean asynchronous(String role) {
        return (role == null ? others : verdicts.getOrDefault(role, others)).asynchronous();
    }

    /** Whether a session of any role may commit asynchronously by default. */
    public boolean anyAsynchronous() {
        return anyAsynchronous;
    }

    /** {@code value} as written in a SET, an option or a role's setting ({@code 'Serializable'}) names serializable. */
    public static boolean isSerializable(String value) {
        return unquoted(value).equals("serializable");
    }

    /**
     * {@code value}, written as in a SET, an option or a role's setting, is one {@code synchronous_commit} reads as
     * off (its enum takes these spellings, in any case, and no abbreviation).
     */
    public static boolean isOff(String value) {
        return switch (unquoted(value)) {
            case "off", "false", "no", "0" -> true;
            default -> false;
        };
    }

    private static String unquoted(String value) {
        return value == null ? "" : value.replace("'", "").replace("\"", "").strip().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return "RoleDefaults[roles=" + byRole + ", database=" + database + ", server=" + server + "]";
    }
}
