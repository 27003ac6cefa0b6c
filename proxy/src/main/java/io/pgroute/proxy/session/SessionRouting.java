package io.pgroute.proxy.session;

import io.netty.channel.EventLoop;
import io.pgroute.config.Consistency;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.backend.BackendTarget;
import io.pgroute.proxy.cache.ResultCache.Invalidation;
import io.pgroute.proxy.cache.WriteReach;
import io.pgroute.proxy.routing.ClusterState;
import io.pgroute.proxy.routing.DatabaseRouting;
import io.pgroute.proxy.routing.NodeState;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.StatementInfo;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Where a session's requests may run: the statement classifier, the primary and replica pools of its database
 * (for this client's startup parameters), the node monitor's view of the replicas, and the pool mode.
 */
public final class SessionRouting {

    private final Classifier classifier;
    private final BackendPools pools;
    /**
     * The configured primary's target: its database, role, password, TLS and startup parameters are every node's
     * (targets differ by node name and address).
     */
    private final BackendTarget template;
    /** The primary's target as last looked up ({@link #primary()}): the node the monitor says takes writes. */
    private BackendTarget primary;
    /** Replica targets, in the order of the monitor's replicas; confined to the session's event loop. */
    private List<BackendTarget> replicas = List.of();
    private io.pgroute.config.DatabaseConfig replicasOf;
    /** The primary node's name when {@link #replicas} was computed: the others are the replicas. */
    private String replicasBeside;
    private final DatabaseRouting database;
    private final boolean transactionPooling;
    /** The primary's pool on the session's event loop, once looked up: {@link #isPrimary} by identity. */
    private BackendPool primaryPool;
    /**
     * PostgreSQL client encodings in which a character's second byte may be an ASCII byte (SJIS's 表 is 0x95 0x5C, a
     * backslash): read as UTF-8, such a text lexes wrong (that backslash escapes the quote after it in an E'' string,
     * and a DELETE after it looked like part of a string), so classification reads their bytes in the encoding
     * itself. In the others, a character above ASCII has no ASCII byte, and the lexer's boundaries are PostgreSQL's.
     */
    private static final java.util.Map<String, String> SECOND_BYTE_ASCII = java.util.Map.of("SJIS", "windows-31j",
            "SHIFT_JIS_2004", "x-SJIS_0213", "BIG5", "Big5", "GBK", "GBK", "UHC", "x-windows-949",
            "GB18030", "GB18030", "JOHAB", "x-Johab");
    /** How the client's texts are read for classification (see {@link #clientEncoding}); null: as decoded. */
    private java.nio.charset.Charset readAs;
    /** The client_encoding is one of {@link #SECOND_BYTE_ASCII}, whether or not this JDK can read it. */
    private boolean secondBytesMayBeAscii;
    /** The last classification (see {@link #classify}); the session's event loop only. */
    private String lastSql;
    private StatementInfo lastInfo;
    private long lastGeneration = -1;
    /**
     * Classifications made on the classifier's threads ({@link #remember}), by text instance: the same instance is what
     * the session classifies next (a message keeps the text it decoded, a prepared statement the text of its Parse),
     * and finding it costs no pass over a long text. The most recent, oldest first: at most {@link #AHEAD_KEPT}, and
     * texts of at most {@link #AHEAD_CHARS} characters together beyond the latest (a text whose message was sent is
     * kept alive by it until the session's queue is empty). One dropped is classified again on the event loop.
     */
    // sized for the few texts of one request (the default sizes cost a idle client 400 bytes); they grow if need be
    private final IdentityHashMap<String, Classifier.Classified> ahead = new IdentityHashMap<>(4);
    private final ArrayDeque<String> aheadOrder = new ArrayDeque<>(4);
    private long aheadChars;
    static final int AHEAD_KEPT = 64;
    static final long AHEAD_CHARS = 4L << 20;

    public SessionRouting(Classifier classifier, BackendPools pools, BackendTarget primary, DatabaseRouting database,
                          boolean transactionPooling) {
        this.classifier = classifier;
        this.pools = pools;
        this.template = primary;
        this.primary = primary;
        this.database = database;
        this.transactionPooling = transactionPooling;
    }

    /**
     * The session's client_encoding is now {@code name} (PostgreSQL's name, as ParameterStatus reports it; null:
     * unknown): in one of {@link #SECOND_BYTE_ASCII}, texts are classified as read in that encoding.
     */
    public void clientEncoding(String name) {
        String charset = name == null ? null : SECOND_BYTE_ASCII.get(name.toUpperCase(java.util.Locale.ROOT));
        secondBytesMayBeAscii = charset != null;
        java.nio.charset.Charset now = null;
        if (charset != null) {
            try {
                now = java.nio.charset.Charset.forName(charset);
            } catch (IllegalArgumentException unsupported) {
                now = null;  // a JDK without it: read as decoded, as before
            }
        }
        if (!java.util.Objects.equals(now, readAs)) {
            readAs = now;
            lastSql = null;  // a text classified under the other reading is not this one
            lastInfo = null;
        }
    }

    /**
     * Whether the client's encoding has characters whose second byte is an ASCII one (a quote, a backslash): its bytes
     * cannot be read as ASCII where they are below 0x80.
     */
    public boolean secondBytesMayBeAscii() {
        return secondBytesMayBeAscii;
    }

    /** {@code sql} as classification reads it: as decoded, or its bytes in {@code charset} when it has any non-ASCII. */
    private static String readable(String sql, java.nio.charset.Charset charset) {
        if (charset != null) {
            for (int i = 0; i < sql.length(); i++) {
                if (sql.charAt(i) >= 0x80) {
                    return new String(io.pgroute.protocol.PgBuffers.bytes(sql), charset);
                }
            }
        }
        return sql;
    }

    /**
     * The replica targets, in the order of the monitor's {@link ClusterState#replicas()}: every configured node but
     * the one that takes writes (recomputed after an online reload or a change of primary).
     */
    private List<BackendTarget> replicas() {
        if (database == null) {
            return List.of();
        }
        io.pgroute.config.DatabaseConfig current = database.database();
        io.pgroute.proxy.routing.NodeMonitor monitor = database.monitor();
        if (monitor == null) {
            return List.of();
        }
        ClusterState state = monitor.state();
        String beside = state.primary().name();
        if (current != replicasOf || !beside.equals(replicasBeside)) {
            List<BackendTarget> targets = new ArrayList<>();
            for (NodeState node : state.replicas()) {
                targets.add(target(current, node));
            }
            replicas = List.copyOf(targets);
            replicasOf = current;
            replicasBeside = beside;
        }
        return replicas;
    }

    /** The target of {@code node} for this session: the template's database, role and parameters at its address. */
    private BackendTarget target(io.pgroute.config.DatabaseConfig db, NodeState node) {
        return pools.canonical(new BackendTarget(db.name() + "/" + node.name(), node.host(), node.port(),
                template.database(), template.user(), template.password(), template.loginSecret(), template.tls(),
                template.tlsCa(), template.startupParameters()));
    }

    /**
     * The target of the node that takes writes: the configured primary, or the node the monitor found writable on a
     * newer timeline ({@code routing.discover_primary}). A session follows a change at its next lease of the
     * primary (a connection it still holds on the former one is no longer its primary's: the former primary is down,
     * in recovery, or on an older timeline).
     */
    private BackendTarget primary() {
        io.pgroute.proxy.routing.NodeMonitor monitor = database == null ? null : database.monitor();
        if (monitor == null) {
            return primary;
        }
        NodeState node = monitor.state().primary();
        if (node.port() != primary.port() || !node.host().equals(primary.host())) {
            primary = node.host().equals(template.host()) && node.port() == template.port() ? template
                    : target(database.database(), node);
            primaryPool = null;
        }
        return primary;
    }

    /** A server of this database parsed this statement before: a Parse of it can be answered without a server. */
    public boolean isParsed(String backendName) {
        return database != null && database.isParsed(backendName);
    }

    public void parsed(String backendName) {
        if (database != null) {
            database.parsed(backendName);
        }
    }

    /** See {@link DatabaseRouting#planChanged}. */
    public void planChanged(String backendName) {
        if (database != null) {
            database.planChanged(backendName);
        }
    }

    /** See {@link DatabaseRouting#planGeneration}. */
    public int planGeneration(String backendName) {
        return database == null ? 0 : database.planGeneration(backendName);
    }

    /** A statement a replica refused although it was classified as a read: from now on it goes to the primary. */
    public void markWrite(String sql) {
        if (database != null) {
            database.markWrite(classify(sql).fingerprint());
        }
    }

    /** {@link DatabaseRouting#asynchronousByDefault}; false without replicas. */
    public boolean asynchronousByDefault() {
        return database != null && database.asynchronousByDefault(template.user());
    }

    /** {@link DatabaseRouting#noteAsynchronousCommit}; nothing without replicas. */
    public void noteAsynchronousCommit() {
        if (database != null) {
            database.noteAsynchronousCommit();
        }
    }

    /** {@link DatabaseRouting#serializableByDefault}; false without replicas. */
    public boolean serializableByDefault() {
        return database != null && database.serializableByDefault(template.user());
    }

    /** {@link DatabaseRouting#replicaRefusedSerializable}. */
    public void replicaRefusedSerializable() {
        if (database != null) {
            database.replicaRefusedSerializable();
        }
    }

    public boolean isKnownWrite(String sql) {
        return database != null && database.hasKnownWrites()
                && database.isKnownWrite(classify(sql).fingerprint());
    }

    /** {@link #isKnownWrite(String)} of a statement already classified. */
    public boolean isKnownWrite(StatementInfo statement) {
        return database != null && database.hasKnownWrites() && database.isKnownWrite(statement.fingerprint());
    }

    public boolean isPrimary(BackendPool pool) {
        return pool == primaryPool || pool.target().equals(primary);
    }

    /**
     * The classification of {@code sql}. The last one is remembered: a session classifies the same text several
     * times per request (routing, execution, cache, statistics), and the repeats then cost one string comparison.
     */
    public StatementInfo classify(String sql) {
        long generation = classifier.generation();
        // the hash first: a new text of the same length (pgbench's next literal) differs only near its end, and the
        // classifier's lookup needs the hash anyway (a String keeps it)
        if (generation == lastGeneration && lastSql != null && (sql == lastSql || sql.hashCode() == lastSql.hashCode()
                && sql.equals(lastSql))) {
            return lastInfo;
        }
        StatementInfo result = null;
        if (!ahead.isEmpty()) {
            Classifier.Classified made = ahead.get(sql);
            result = made != null && made.generation() == generation ? made.info() : null;
        }
        if (result == null) {
            result = classifier.classify(readable(sql, readAs));
        }
        lastSql = sql;
        lastInfo = result;
        lastGeneration = generation;
        return result;
    }

    /**
     * The classification of {@code sql} if it is at hand without JSqlParser and without reading a long text (see
     * {@link Classifier#lookup}), else null: then {@link #classifyElsewhere} before {@link #classify}.
     */
    public StatementInfo known(String sql) {
        long generation = classifier.generation();
        if (generation == lastGeneration && lastSql != null && (sql == lastSql
                || sql.length() <= Classifier.INLINE_LIMIT && sql.hashCode() == lastSql.hashCode()
                && sql.equals(lastSql))) {
            return lastInfo;
        }
        Classifier.Classified made = ahead.isEmpty() ? null : ahead.get(sql);
        if (made != null && made.generation() == generation) {
            return made.info();
        }
        StatementInfo result = classifier.lookup(readable(sql, readAs));
        if (result != null) {
            lastSql = sql;
            lastInfo = result;
            lastGeneration = generation;
        }
        return result;
    }

    /** {@link Classifier#classifyElsewhere}: completes on a classifier thread; {@link #remember} the result. */
    public CompletableFuture<Classifier.Classified> classifyElsewhere(Supplier<String> text) {
        java.nio.charset.Charset charset = readAs;
        if (charset == null) {
            return classifier.classifyElsewhere(text);
        }
        String[] original = new String[1];  // the session finds the result by the text instance it holds
        return classifier.classifyElsewhere(() -> readable(original[0] = text.get(), charset))
                .thenApply(made -> new Classifier.Classified(original[0], made.info(), made.generation()));
    }

    /**
     * Forgets the classifications made elsewhere, once the session holds none of their messages: a long text is not
     * kept alive for them (a statement prepared earlier is classified again, elsewhere, when a Bind of it comes).
     */
    public void forgetClassifiedElsewhere() {
        if (!ahead.isEmpty()) {
            ahead.clear();
            aheadOrder.clear();
            aheadChars = 0;
        }
    }

    /** Keeps a classification made elsewhere for the session's next {@link #classify} of that text instance. */
    public void remember(Classifier.Classified made) {
        if (ahead.put(made.sql(), made) == null) {
            aheadOrder.addLast(made.sql());
            aheadChars += made.sql().length();
            while (aheadOrder.size() > 1 && (aheadOrder.size() > AHEAD_KEPT || aheadChars > AHEAD_CHARS)) {
                String dropped = aheadOrder.pollFirst();
                ahead.remove(dropped);
                aheadChars -= dropped.length();
            }
        }
    }

    /** The pool of the primary on {@code loop}. */
    public BackendPool primaryPool(EventLoop loop) {
        BackendPool result = pools.pool(loop, primary());
        primaryPool = result;  // a session lives on one event loop: its primary pool is always this one
        return result;
    }

    public boolean transactionPooling() {
        return transactionPooling;
    }

    public boolean hasReplicas() {
        return database != null && database.hasReplicas();
    }

    /**
     * Whether a session's reads must never go back in time ({@code consistency: causal} or {@code global} with
     * replicas): after a
     * replica read the session stays on that replica until the monitor has sampled a position past the read, and
     * primary reads make the next read wait for the monitor to sample past them.
     */
    public boolean monotonicReads() {
        Consistency consistency = consistency();
        return hasReplicas() && database.monitor() != null
                && (consistency == Consistency.CAUSAL || consistency == Consistency.GLOBAL);
    }

    /** Whether reads wait for other sessions' writes too ({@code consistency: global}). */
    public boolean globalReads() {
        return consistency() == Consistency.GLOBAL;
    }

    /**
     * Whether {@code statement}, safe on a hot standby, reads a view that calls a user function, which may write any
     * table ({@link io.pgroute.proxy.cache.RelationCatalog#readsWritingView}): a write whose tables pgroute cannot name.
     */
    public boolean readsWritingView(StatementInfo statement) {
        return database != null && statement.readOnly() && database.relations().readsWritingView(statement);
    }

    /** DDL of the session's has ended (committed or not): the relation catalog is read again. */
    public void reloadRelations() {
        if (database != null) {
            database.reloadRelations();
        }
    }

    /** What a write of {@code statement} reaches, for {@code consistency: global} (see {@link WriteReach}). */
    public Invalidation writeReach(StatementInfo statement) {
        if (database == null) {
            return Invalidation.EVERYTHING;
        }
        Invalidation result = WriteReach.of(statement, database.relations(), classifier);
        if (result.everything() && WriteReach.mentionsDdl(statement)) {
            database.reloadRelations();  // tables it creates are unknown (so read as any table) until then
        }
        return result;
    }

    /**
     * A session's write that reached {@code reach} was acknowledged at {@code nanos}; its ReadyForQuery has not gone
     * to the client yet.
     */
    public void wrote(Invalidation reach, long nanos) {
        if (database == null) {
            return;
        }
        if (reach.everything()) {
            database.writes().wroteAnything(nanos);
        } else {
            database.writes().wrote(reach.tables(), nanos);
        }
    }

    /** When the newest write of any session was acknowledged, 0 if none. */
    public long newestWrite() {
        return database == null ? 0 : database.writes().newest();
    }

    /**
     * The version keys of the tables {@code read} depends on, or null when pgroute cannot tell
     * ({@link WriteReach#readKeys}; {@code read} null: a statement pgroute does not know).
     */
    public List<String> readKeys(StatementInfo read) {
        return read == null || database == null ? null
                : WriteReach.readKeys(read, database.relations(), classifier);
    }

    /**
     * When the newest write any session had acknowledged to one of the tables {@code keys} was acknowledged, 0 if
     * none; {@code keys} null: of all writes.
     */
    public long newestWriteFor(List<String> keys) {
        return database == null ? 0 : database.writes().newestFor(keys);
    }

    /**
     * The version keys of the tables whose contents {@code statement}'s answer may show, or null when pgroute cannot
     * tell ({@link WriteReach#shownKeys}).
     */
    public List<String> shownKeys(StatementInfo statement) {
        return database == null ? null : WriteReach.shownKeys(statement, database.relations(), classifier);
    }

    public Consistency consistency() {
        return database.config().consistency();
    }

    public long windowNanos() {
        return database.config().window().toNanos();
    }

    /** The read-your-writes watermark of a write committed at {@code commitNanos}, once the monitor has one. */
    public OptionalLong watermarkAfter(long commitNanos) {
        return database.monitor().watermarkAfter(commitNanos, database.mayCommitAsynchronously(commitNanos));
    }

    /**
     * A read that could go to a replica is about to be placed: null when the monitor's samples are current; else (it
     * slept for lack of such reads) a future that completes once every node was sampled again (see
     * {@link io.pgroute.proxy.routing.NodeMonitor#demand}), to place the read after.
     */
    public CompletableFuture<Void> freshSamples() {
        io.pgroute.proxy.routing.NodeMonitor monitor = database.monitor();
        return monitor == null ? null : monitor.demand();
    }

    /** A replica pool for a read, honouring the watermark; empty means the primary. */
    public Optional<BackendPool> replicaPool(EventLoop loop, OptionalLong watermark) {
        ClusterState state = database.monitor().state();
        List<BackendTarget> targets = replicas();
        Optional<NodeState> chosen = database.selector(loop).choose(state, watermark,
                index -> index < targets.size() ? busy(loop, targets.get(index)) : busy(loop, primary()));
        if (chosen.isEmpty() || chosen.get().primary()) {
            return Optional.empty();
        }
        int index = state.replicas().indexOf(chosen.get());
        if (index < 0 || index >= targets.size() || !sameNode(chosen.get(), targets.get(index))) {
            return Optional.empty();  // a reload between reading the monitor and the configuration: primary
        }
        return Optional.of(pools.pool(loop, targets.get(index)));
    }

    /**
     * The pool of {@code replica} for a read that must run there, if it is still a configured, eligible replica that
     * the monitor saw replay {@code watermark}; empty means the primary.
     */
    public Optional<BackendPool> replicaPoolOf(EventLoop loop, BackendTarget replica, OptionalLong watermark) {
        NodeState node = replicaState(replica);
        if (node == null || !node.eligible()
                || watermark.isPresent() && node.replayLsn() < watermark.getAsLong()) {
            return Optional.empty();
        }
        return Optional.of(pools.pool(loop, replica));
    }

    /**
     * A WAL position at least as new as anything any node could have shown before {@code sinceNanos}
     * ({@link System#nanoTime}): the primary's first sampled position after that time;
     * {@link io.pgroute.proxy.routing.Lsn#INVALID} while there is none yet.
     */
    public long primaryBound(long sinceNanos) {
        OptionalLong primaryAfter = watermarkAfter(sinceNanos);
        return primaryAfter.isPresent() ? primaryAfter.getAsLong() : io.pgroute.proxy.routing.Lsn.INVALID;
    }

    /**
     * A WAL position at least as new as anything {@code replica} could have shown before {@code sinceNanos}: what a
     * monitor sample of it taken after that time says it could show (its received WAL: see
     * {@link NodeState#shownLsn}), else the primary's first sampled position after it; while there is no sample of
     * {@code replica} after that time and it is still an eligible replica, {@link io.pgroute.proxy.routing.Lsn#INVALID}
     * (the session can stay there).
     */
    public long stickyBound(BackendTarget replica, long sinceNanos) {
        NodeState node = replicaState(replica);
        if (sampledAfter(node, sinceNanos) && node.shownLsn() != io.pgroute.proxy.routing.Lsn.INVALID) {
            return node.shownLsn();
        }
        return node != null && node.eligible() && !sampledAfter(node, sinceNanos)
                ? io.pgroute.proxy.routing.Lsn.INVALID : primaryBound(sinceNanos);
    }

    /** Whether the monitor sampled {@code node}'s replay position after {@code sinceNanos}. */
    private static boolean sampledAfter(NodeState node, long sinceNanos) {
        return node != null && node.replayLsn() != io.pgroute.proxy.routing.Lsn.INVALID
                && node.sampledNanos() - sinceNanos > 0;
    }

    /** The monitor's state of {@code replica}, or null when it is not (or no longer) one of this database's. */
    private NodeState replicaState(BackendTarget replica) {
        ClusterState state = database.monitor().state();
        int index = replicas().indexOf(replica);
        if (index < 0 || index >= state.replicas().size() || !sameNode(state.replicas().get(index), replica)) {
            return null;
        }
        return state.replicas().get(index);
    }

    private static boolean sameNode(NodeState state, BackendTarget target) {
        return state.port() == target.port() && state.host().equals(target.host());
    }

    /** The node monitor's current view, or null when the database has no monitored replicas. */
    public ClusterState clusterState() {
        return hasReplicas() && database.monitor() != null ? database.monitor().state() : null;
    }

    /**
     * What the node behind {@code pool} had replayed in {@code before} ({@link io.pgroute.proxy.routing.Lsn#INVALID}
     * when unknown); {@link Long#MAX_VALUE} for the primary, which is always current.
     */
    public long replayedIn(ClusterState before, BackendPool pool) {
        if (isPrimary(pool)) {
            return Long.MAX_VALUE;
        }
        int index = replicas().indexOf(pool.target());
        if (before == null || index < 0 || index >= before.replicas().size()
                || !sameNode(before.replicas().get(index), pool.target())) {
            return io.pgroute.proxy.routing.Lsn.INVALID;
        }
        return before.replicas().get(index).replayLsn();
    }

    private int busy(EventLoop loop, BackendTarget target) {
        BackendPool pool = pools.pool(loop, target);
        return pool.open() - pool.idle();
    }
}
