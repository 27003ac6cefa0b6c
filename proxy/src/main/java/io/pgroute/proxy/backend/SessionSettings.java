package io.pgroute.proxy.backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Session parameters a client changed with SET since it connected (its startup parameters are already the
 * defaults of the connections it uses, but the {@linkplain #replayed replayed} ones, which are replayed like SETs: see
 * {@link #startup} and {@link #over}), as normalized name → value text as written. A backend connection records
 * the settings applied to it the same way; {@link #syncSql} is what brings one to the other.
 */
public final class SessionSettings {

    /** Parameters RESET ALL does not reset. */
    private static final Set<String> NO_RESET_ALL = Set.of("role", "session_authorization");
    /**
     * Parameters a connection may hold only while leased: {@code idle_session_timeout} on a pooled connection would
     * make the server close it while it waits in the pool (COMPAT T5). The pool resets them when it takes a
     * connection back ({@link #withoutLeaseOnly}), and pgroute times the client's idleness itself.
     */
    private static final Set<String> LEASE_ONLY = Set.of("idle_session_timeout");

    /** The SQL that resets the {@linkplain #LEASE_ONLY lease-only parameters}. */
    public static final String RESET_LEASE_ONLY = "RESET idle_session_timeout";

    /** Whether a connection with these settings must have its lease-only parameters reset before it waits idle. */
    public boolean hasLeaseOnly() {
        if (values.isEmpty()) {
            return false;  // checked at every release
        }
        for (String each : LEASE_ONLY) {
            if (values.containsKey(each)) {
                return true;
            }
        }
        return false;
    }

    /** These settings without the lease-only parameters: a connection's after {@link #RESET_LEASE_ONLY}. */
    public SessionSettings withoutLeaseOnly() {
        SessionSettings result = new SessionSettings(this);
        result.values.keySet().removeAll(LEASE_ONLY);
        return result;
    }

    private final Map<String, String> values;
    /** Changes made to these settings so far: what a copy made from them was made at. */
    private int changes;

    public int changes() {
        return changes;
    }

    /**
     * A value no client can write (SQL text holds no NUL): a parameter with it is one whose value on a server is not
     * known, so that {@link #syncSql} sets (or resets) it whatever the other side holds.
     */
    private static final String UNKNOWN = "\u0000unknown";

    /**
     * Startup parameters pgroute replays instead of opening server connections with them, so that clients that differ
     * only in these share one pool: what drivers put in their startup message, each differently (psql and libpq
     * applications {@code application_name} and {@code client_encoding}; pgjdbc {@code DateStyle}, {@code TimeZone}
     * (the JVM's), {@code client_encoding}, {@code extra_float_digits}, and {@code search_path} from its
     * {@code currentSchema}, one per tenant where tenants are schemas). Each but search_path is read the same from
     * {@code SET name TO 'text'} as from the startup message; search_path is a list ({@link #searchPathValue}). Others
     * still key a pool of their own: {@code options}, rarer settings.
     */
    private static final Set<String> REPLAYED_STARTUP = Set.of("application_name", "client_encoding", "datestyle",
            "intervalstyle", "timezone", "extra_float_digits", "search_path");
    /**
     * Parameters whose value is read against the one in force ({@code DateStyle 'ISO'} keeps the order of a
     * {@code 'SQL, DMY'} before it): reset before they are set, so that a client gets what it would on a connection
     * of its own.
     */
    private static final Set<String> RELATIVE = Set.of("datestyle");

    /**
     * Whether pgroute replays the startup parameter {@code name} with {@code value} rather than opening connections
     * with it (a search_path it cannot read as PostgreSQL does stays in the startup message, which then fails as
     * it would directly).
     */
    public static boolean replayed(String name, String value) {
        return replayValue(name, value) != null;
    }

    /** The value text that SETs startup parameter {@code name} to {@code value}, or null if it is not replayed. */
    private static String replayValue(String name, String value) {
        String folded = name.toLowerCase(java.util.Locale.ROOT);
        if (!REPLAYED_STARTUP.contains(folded)) {
            return null;
        }
        return folded.equals("search_path") ? searchPathValue(value) : literal(value);
    }

    /**
     * The {@code SET search_path TO} value that gives a session what {@code raw} does in its startup message, or
     * null if pgroute does not replay it. PostgreSQL keeps a startup search_path as written and reads it as a list of
     * identifiers (SplitIdentifierString: separated by commas, around them spaces; a quoted one as is, {@code ""} a
     * quote; an unquoted one in lower case); a SET of string literals quotes each element where needed, so each
     * element is sent as one literal of what it means. {@code SHOW search_path} then gives PostgreSQL's spelling
     * ({@code a, b} for {@code a,b}; {@code myschema} for {@code MySchema}) where a direct connection gives the
     * text as the client wrote it. Not replayed: an empty list (SET would name one schema {@code ""}), a list
     * PostgreSQL refuses (the login fails as directly), an unquoted name with letters beyond ASCII (whose case a
     * single-byte server encoding folds).
     */
    static String searchPathValue(String raw) {
        List<String> names = new ArrayList<>();
        int i = skipSpace(raw, 0);
        if (i == raw.length()) {
            return null;
        }
        while (true) {
            StringBuilder name = new StringBuilder();
            if (raw.charAt(i) == '"') {
                i++;
                while (true) {
                    int end = raw.indexOf('"', i);
                    if (end < 0) {
                        return null;  // a quote not closed
                    }
                    name.append(raw, i, end);
                    i = end + 1;
                    if (i < raw.length() && raw.charAt(i) == '"') {
                        name.append('"');
                        i++;
                    } else {
                        break;
                    }
                }
            } else {
                int start = i;
                while (i < raw.length() && raw.charAt(i) != ',' && !isSpace(raw.charAt(i))) {
                    char c = raw.charAt(i);
                    if (c >= 0x80) {
                        return null;
                    }
                    name.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
                    i++;
                }
                if (i == start) {
                    return null;  // an empty unquoted name
                }
            }
            names.add(literal(name.toString()));
            i = skipSpace(raw, i);
            if (i == raw.length()) {
                return String.join(", ", names);
            }
            if (raw.charAt(i) != ',') {
                return null;
            }
            i = skipSpace(raw, i + 1);
            if (i == raw.length()) {
                return null;  // PostgreSQL wants another name after a comma
            }
        }
    }

    private static int skipSpace(String text, int from) {
        int i = from;
        while (i < text.length() && isSpace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    /** PostgreSQL's scanner_isspace. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B;
    }

    /**
     * The {@linkplain #replayed replayed} parameters among a client's {@code startupParameters}, as settings to
     * replay, named in lower case, each value what SET takes.
     */
    public static SessionSettings startup(Map<String, String> startupParameters) {
        SessionSettings result = new SessionSettings();
        startupParameters.forEach((name, value) -> {
            String replay = replayValue(name, value);
            if (replay != null) {
                result.values.put(name.toLowerCase(java.util.Locale.ROOT), replay);
            }
        });
        return result;
    }

    /** {@code value} as a string literal read the same whatever standard_conforming_strings is. */
    static String literal(String value) {
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /**
     * These settings over a client's {@link #startup} parameters: each of those it has not SET since, then its own
     * SETs. What a server connection must hold for the client (its own startup parameters being none of those).
     */
    public SessionSettings over(SessionSettings startup) {
        if (startup.values.isEmpty()) {
            return this;
        }
        SessionSettings result = new SessionSettings(startup);
        result.values.keySet().removeAll(values.keySet());
        result.values.putAll(values);
        return result;
    }

    /** These settings with the values of {@code names} on the server unknown (a client's RESET ran there). */
    public SessionSettings withUnknown(java.util.Collection<String> names) {
        SessionSettings result = new SessionSettings(this);
        names.forEach(name -> result.values.put(name, UNKNOWN));
        return result;
    }

    public SessionSettings() {
        this.values = new LinkedHashMap<>();
    }

    public SessionSettings(SessionSettings other) {
        this.values = new LinkedHashMap<>(other.values);
    }

    /** SET name TO value; a null value (SET … TO DEFAULT) is a reset. */
    public void set(String name, String value) {
        changes++;
        if (value == null) {
            values.remove(name);
        } else {
            values.remove(name);
            values.put(name, value);
        }
    }

    public void reset(String name) {
        changes++;
        values.remove(name);
    }

    /**
     * RESET ALL: every parameter back to its default but the role and the session authorization, which PostgreSQL's
     * RESET ALL leaves alone (they are GUC_NO_RESET_ALL; COMPAT G5).
     */
    public void resetAll() {
        changes++;
        values.keySet().retainAll(NO_RESET_ALL);
    }

    /** DISCARD ALL: everything back to its default, the role and the session authorization too. */
    public void discardAll() {
        changes++;
        values.clear();
    }

    /** The value SET for {@code name} (normalized), or null. */
    public String get(String name) {
        return values.get(name);
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    public Map<String, String> values() {
        return Map.copyOf(values);
    }

    /**
     * The SQL that turns a connection with {@code applied} settings into one with these, or null if none. Names come
     * from clients ({@code SET "a;b" = 1}) and are quoted as identifiers; a value is replayed as the client wrote it
     * (one statement's rest, which PostgreSQL accepted), and each statement ends on a line of its own, so a
     * trailing {@code --} comment in a value cannot swallow the next one (COMPAT G11).
     */
    public String syncSql(SessionSettings applied) {
        if (sameValues(values, applied.values)) {
            return null;  // the common case, checked without building anything
        }
        List<String> statements = new ArrayList<>();
        applied.values.keySet().stream().filter(name -> !values.containsKey(name))
                .forEach(name -> statements.add("RESET " + quoted(name)));
        values.forEach((name, value) -> {
            String before = applied.values.get(name);
            if (Objects.equals(before, value)) {
                return;
            }
            if (before != null && RELATIVE.contains(name)) {
                statements.add("RESET " + quoted(name));
            }
            statements.add(name.equals("timezone") ? "SET TIME ZONE " + value  // LOCAL, INTERVAL '…' too
                    : "SET " + quoted(name) + " TO " + value);
        });
        return statements.isEmpty() ? null : String.join("\n;", statements);
    }

    /** {@code name} as a quoted identifier: PostgreSQL finds a parameter by its name in any case. */
    private static String quoted(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SessionSettings settings && sameValues(settings.values, values);
    }

    /** Map equality, with no iterator for the usual case of two sessions that set nothing (checked per lease). */
    private static boolean sameValues(Map<String, String> one, Map<String, String> other) {
        return one.size() == other.size() && (one.isEmpty() || one.equals(other));
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
