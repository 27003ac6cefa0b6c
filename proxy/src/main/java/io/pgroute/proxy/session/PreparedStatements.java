package io.pgroute.proxy.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * A client's prepared statements, by the names the client gave them (the unnamed one included). Each maps to SQL
 * text, parameter types and a proxy-chosen name derived from both, so every backend connection can prepare it on
 * first use under that name and clients with the same statement share it.
 */
final class PreparedStatements {

    /**
     * One client statement. {@code backendName} is the name on backend connections; {@code generation} the plan
     * generation of that name when the client prepared it (see {@code DatabaseRouting.planChanged}): a statement
     * prepared before its plan was found stale gets 0A000 at its next Bind, as from PostgreSQL, so that the client
     * prepares it again and learns its new result type.
     */
    record Statement(String sql, int[] parameterTypes, String backendName, int generation) {
    }

    private final Map<String, Statement> byName = new HashMap<>();
    /** What the statements weigh together (see {@link #weight}), against {@code limits.max_prepared_bytes}. */
    private long bytes;
    /** What was known of the statement {@link #define} defined last, if it repeats (see {@link #lastDefinedRepeats}). */
    private Known lastDefinedKnown;
    /** The client's search_path (SET, or replayed from its startup), or null: part of a statement's server name. */
    private final java.util.function.Supplier<String> searchPath;
    /** The current plan generation of a server statement name. */
    private final java.util.function.ToIntFunction<String> generations;

    PreparedStatements() {
        this(() -> null, name -> 0);
    }

    PreparedStatements(java.util.function.Supplier<String> searchPath,
                       java.util.function.ToIntFunction<String> generations) {
        this.searchPath = searchPath;
        this.generations = generations;
    }

    Statement define(String clientName, String sql, int[] parameterTypes) {
        String path = searchPath.get();
        Known known = NAMES.getIfPresent(new NameKey(sql, parameterTypes, path));
        lastDefinedKnown = known;
        // a text named recently (by any client): its first copy is kept, not this one, so that a thousand clients
        // that prepare the same statements hold their texts once
        Statement result = known != null
                ? new Statement(known.sql, known.parameterTypes, known.name, generations.applyAsInt(known.name))
                : defineNew(sql, parameterTypes, path);
        bytes += weight(result) - weight(byName.put(clientName, result));
        return result;
    }

    private Statement defineNew(String sql, int[] parameterTypes, String path) {
        Known known = newKnown(sql, parameterTypes, path);
        return new Statement(known.sql, known.parameterTypes, known.name, generations.applyAsInt(known.name));
    }

    /**
     * The server name of a statement with this text and these parameter types if it was named recently (by any
     * client), so that it repeats; null if not, and it is remembered now.
     */
    String repeatedName(String sql, int[] parameterTypes) {
        String path = searchPath.get();
        Known known = NAMES.getIfPresent(new NameKey(sql, parameterTypes, path));
        if (known == null) {
            newName(sql, parameterTypes, path);
        }
        return known == null ? null : known.name;
    }

    /**
     * Whether the statement {@link #define} defined last had been seen before, by this client or another (its text,
     * types and search_path were among those named recently): a text that repeats.
     */
    boolean lastDefinedRepeats() {
        return lastDefinedKnown != null;
    }

    /**
     * Whether the statement {@link #define} defined last, one that repeats, is one INSERT, UPDATE or DELETE without
     * RETURNING ({@link io.pgroute.proxy.sql.ParameterizedQuery#returnsNoRows}): read once per text while it is among
     * those named recently, not at each Parse of it.
     */
    boolean lastDefinedReturnsNoRows() {
        return lastDefinedKnown != null && lastDefinedKnown.returnsNoRows();
    }

    /**
     * Whether a statement named {@code clientName} with this text keeps the client's statements within {@code limit}
     * (COMPAT L4). The unnamed statement always does: it replaces the one before, and its size is a message's.
     */
    boolean fits(String clientName, String sql, long limit) {
        if (clientName.isEmpty()) {
            return true;
        }
        return bytes - weight(byName.get(clientName)) + weight(sql) <= limit;
    }

    /** What the statements weigh together: their texts' lengths plus an allowance each for the rest. */
    long bytes() {
        return bytes;
    }

    private static long weight(Statement statement) {
        return statement == null ? 0 : weight(statement.sql());
    }

    private static long weight(String sql) {
        return sql.length() + (long) io.pgroute.config.LimitsConfig.PREPARED_OVERHEAD;
    }

    /**
     * The server name of a statement with this text and these parameter types, for this client now: clients share
     * it, unless they SET different search_paths, under which the same text may name other tables with other
     * columns (PostgreSQL would then refuse the shared plan with 0A000; COMPAT V2).
     */
    String backendName(String sql, int[] parameterTypes) {
        return backendName(sql, parameterTypes, searchPath.get());
    }

    /** Whether {@code statement} was prepared before its plan was last found stale. */
    boolean isStale(Statement statement) {
        return statement.generation() != generations.applyAsInt(statement.backendName());
    }

    Statement get(String clientName) {
        return byName.get(clientName);
    }

    void remove(String clientName) {
        bytes -= weight(byName.remove(clientName));
    }

    void clear() {
        byName.clear();
        bytes = 0;
    }

    /** SQL DEALLOCATE ALL: every named statement goes, the unnamed one stays. */
    void clearNamed() {
        byName.keySet().removeIf(name -> !name.isEmpty());
        bytes = weight(byName.get(""));
    }

    /** SQL DEALLOCATE ALL sent: every named statement goes now; returns them, for {@link #restore}. */
    Map<String, Statement> removeNamed() {
        Map<String, Statement> result = new HashMap<>(byName);
        result.remove("");
        clearNamed();
        return result;
    }

    /** The DEALLOCATE ALL that {@link #removeNamed} answered failed: the statements are back, unless redefined. */
    void restore(Map<String, Statement> removed) {
        removed.forEach((name, statement) -> {
            if (byName.putIfAbsent(name, statement) == null) {
                bytes += weight(statement);
            }
        });
    }

    int size() {
        return byName.size();
    }

    /**
     * The server name of a statement: {@code pgr_} and 24 hex digits of a SHA-256 of its text, parameter types and
     * the client's search_path (if it SET one or had one at startup). Remembered for the texts seen last (most shared by every session), so
     * that a client that parses the same text again and again (the unnamed statement of every extended-protocol
     * request) does not hash it each time.
     */
    static String backendName(String sql, int[] parameterTypes, String searchPath) {
        NameKey key = new NameKey(sql, parameterTypes, searchPath);
        Known known = NAMES.getIfPresent(key);
        return known != null ? known.name : newName(sql, parameterTypes, searchPath);
    }

    /** The name of a text not among those named recently: hashed, and remembered. */
    private static String newName(String sql, int[] parameterTypes, String searchPath) {
        return newKnown(sql, parameterTypes, searchPath).name;
    }

    private static Known newKnown(String sql, int[] parameterTypes, String searchPath) {
        int[] types = parameterTypes.clone();
        Known result = new Known(hashedName(sql, types, searchPath), sql, types);
        NAMES.put(new NameKey(sql, types, searchPath), result);
        return result;
    }

    /**
     * A text named recently: its server name, and whether it returns no rows, read from its text once asked (racing
     * threads may both read it, and agree).
     */
    private static final class Known {
        private static final byte UNREAD = 0;
        private static final byte NO_ROWS = 1;
        private static final byte ROWS = 2;
        final String name;
        /** The key's text and parameter types (the same instances), shared by the statements defined with them. */
        final String sql;
        final int[] parameterTypes;
        private byte rows = UNREAD;

        Known(String name, String sql, int[] parameterTypes) {
            this.name = name;
            this.sql = sql;
            this.parameterTypes = parameterTypes;
        }

        boolean returnsNoRows() {
            if (rows == UNREAD) {
                rows = io.pgroute.proxy.sql.ParameterizedQuery.returnsNoRows(sql) ? NO_ROWS : ROWS;
            }
            return rows == NO_ROWS;
        }
    }

    private static final com.github.benmanes.caffeine.cache.Cache<NameKey, Known> NAMES =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder()
                    .maximumWeight(16L << 20).<NameKey, Known>weigher((key, name) -> 64 + key.sql.length())
                    .executor(Runnable::run).build();  // maintenance inline: no ForkJoin wake-up

    private static final io.netty.util.concurrent.FastThreadLocal<MessageDigest> SHA256 =
            new io.netty.util.concurrent.FastThreadLocal<>() {  // an array index, not a hash probe (ThreadCounter)
                @Override
                protected MessageDigest initialValue() {
                    try {
                        return MessageDigest.getInstance("SHA-256");
                    } catch (NoSuchAlgorithmException e) {
                        throw new IllegalStateException("SHA-256 is missing", e);
                    }
                }
            };

    /** What a statement's server name is made of; its text's hash is the String's own, computed once. */
    private static final class NameKey {
        private final String sql;
        private final int[] parameterTypes;
        private final String searchPath;
        private final int hash;

        NameKey(String sql, int[] parameterTypes, String searchPath) {
            this.sql = sql;
            this.parameterTypes = parameterTypes;
            this.searchPath = searchPath;
            this.hash = (sql.hashCode() * 31 + Arrays.hashCode(parameterTypes)) * 31 + Objects.hashCode(searchPath);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof NameKey that && hash == that.hash && sql.equals(that.sql)
                    && Arrays.equals(parameterTypes, that.parameterTypes) && Objects.equals(searchPath, that.searchPath);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private static String hashedName(String sql, int[] parameterTypes, String searchPath) {
        MessageDigest digest = SHA256.get();
        digest.reset();
        digest.update(io.pgroute.protocol.PgBuffers.bytes(sql));  // as sent: two LATIN1 texts stay two
        for (int each : parameterTypes) {
            digest.update((byte) (each >>> 24));
            digest.update((byte) (each >>> 16));
            digest.update((byte) (each >>> 8));
            digest.update((byte) each);
        }
        if (searchPath != null) {  // none SET: the names stay as they were, shared by every such client
            digest.update((byte) 0);
            digest.update(io.pgroute.protocol.PgBuffers.bytes(searchPath));
        }
        return "pgr_" + HexFormat.of().formatHex(Arrays.copyOf(digest.digest(), 12));
    }
}
