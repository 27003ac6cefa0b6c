package io.pgroute.proxy.routing;

import io.netty.channel.EventLoop;
import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.RoutingConfig;
import io.pgroute.proxy.cache.RelationCatalog;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The routing state of one configured database, shared by its sessions: its configuration, the node monitor (null
 * when replicas are not configured or not monitored) and one {@link ReplicaSelector} per event loop. An online
 * reload swaps all three at once ({@link #update}); sessions read the current ones on every decision.
 */
public final class DatabaseRouting implements AutoCloseable {

    private static final int MAX_PARSED = 100_000;

    /** What an online reload replaces together. */
    private record Topology(DatabaseConfig database, RoutingConfig config, NodeMonitor monitor,
                            Map<EventLoop, ReplicaSelector> selectors) {
    }

    private volatile Topology topology;
    /** Changes of primary seen by the monitors a reload replaced. */
    private final java.util.concurrent.atomic.AtomicLong retiredPrimaryChanges =
            new java.util.concurrent.atomic.AtomicLong();
    private final java.util.Set<String> parsedStatements = ConcurrentHashMap.newKeySet();
    /** Statements whose plan a server found stale (see {@link #planChanged}), with how many times; others are 0. */
    private final Map<String, Integer> planGenerations = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.LongAdder stalePlans = new java.util.concurrent.atomic.LongAdder();
    private final java.util.Set<String> knownWrites = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicLong safetyNetRetries = new java.util.concurrent.atomic.AtomicLong();
    /** Acknowledged writes of every session, for {@code consistency: global}. Kept across reloads. */
    private final WriteMarks writes = new WriteMarks();
    /** The tables of the database and how writes spread between them; empty until the control plane read it. */
    private volatile RelationCatalog relations = RelationCatalog.empty();
    /** Reads the relation catalog again at once (after DDL); nothing until the control plane set it. */
    private volatile Runnable reloadRelations = () -> { };
    /**
     * What a new session of each role starts with: serializable by default ({@code ALTER ROLE … SET
     * default_transaction_isolation}, {@code ALTER DATABASE …}, the server's configuration; no standby runs a
     * serializable transaction, COMPAT R2) or committing asynchronously ({@code synchronous_commit = off}), as the
     * control plane last read it on the primary.
     */
    private volatile RoleDefaults roleDefaults = RoleDefaults.BUILT_IN;
    /** When a session last sent or ended a write it committed asynchronously (0: never). */
    private volatile long asynchronousNotedNanos;
    /** When a replica last refused a read as serializable (0: never); see {@link #replicaRefusedSerializable}. */
    private volatile long serializableRefusedNanos;

    /** How long a replica's refusal of a serializable read sends the database's reads to the primary. */
    static final long REFUSAL_MEMORY_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);

    public DatabaseRouting(DatabaseConfig database, RoutingConfig config, NodeMonitor monitor) {
        this.topology = new Topology(database, config, monitor, new ConcurrentHashMap<>());
    }

    public DatabaseConfig database() {
        return topology.database();
    }

    public RoutingConfig config() {
        return topology.config();
    }

    /** True when reads may go to replicas: replicas are configured and monitored. */
    public boolean hasReplicas() {
        Topology current = topology;
        return current.monitor() != null && !current.database().replicas().isEmpty();
    }

    public NodeMonitor monitor() {
        return topology.monitor();
    }

    /** How many times another node became the primary since start, across reloads. */
    public long primaryChanges() {
        NodeMonitor monitor = topology.monitor();
        return retiredPrimaryChanges.get() + (monitor == null ? 0 : monitor.primaryChanges());
    }

    /** The node that takes writes: the monitor's finding ({@code routing.discover_primary}), else the configured one. */
    public io.pgroute.config.NodeConfig primaryNode() {
        Topology current = topology;
        return current.monitor() != null ? current.monitor().primaryNode() : current.database().primary();
    }

    /** The selector of {@code loop}; use it only on that loop. */
    public ReplicaSelector selector(EventLoop loop) {
        Topology current = topology;
        return current.selectors().computeIfAbsent(loop, each -> new ReplicaSelector(current.config()));
    }

    /**
     * An online reload: from now on {@code database}'s nodes are monitored by {@code monitor} (already started; null
     * for none) under {@code config}. The previous monitor is closed; sessions pick the new nodes up on their next
     * decision, and read-your-writes watermarks carry over (the new monitor's first primary sample is after any
     * commit a session is waiting for).
     */
    public void update(DatabaseConfig database, RoutingConfig config, NodeMonitor monitor) {
        Topology previous = topology;
        topology = new Topology(database, config, monitor, new ConcurrentHashMap<>());
        if (previous.monitor() != null && previous.monitor() != monitor) {
            retiredPrimaryChanges.addAndGet(previous.monitor().primaryChanges());
            previous.monitor().close();
        }
    }

    /** When writes of any session were acknowledged, by table ({@code consistency: global}). */
    public WriteMarks writes() {
        return writes;
    }

    /** The relation catalog last read, or an empty one (every table unknown). */
    public RelationCatalog relations() {
        return relations;
    }

    /** How to read the relation catalog again at once. */
    public void onReloadRelations(Runnable reload) {
        reloadRelations = reload;
    }

    /** DDL went through pgroute: the relation catalog may be out of date. */
    public void reloadRelations() {
        reloadRelations.run();
    }

    /** The control plane read what new sessions of each role start with. */
    public void roleDefaults(RoleDefaults defaults) {
        roleDefaults = defaults;
    }

    /** Whether a session of {@code role} that did not set {@code synchronous_commit} itself commits asynchronously. */
    public boolean asynchronousByDefault(String role) {
        return roleDefaults.asynchronous(role);
    }

    /**
     * A session is about to send, or has just ended, a write it commits asynchronously: until PostgreSQL has surely
     * written that commit, watermarks must cover what the primary inserted, not only what it wrote.
     */
    public void noteAsynchronousCommit() {
        long now = System.nanoTime();
        asynchronousNotedNanos = now == 0 ? 1 : now;
    }

    /** Whether a session noted a commit it may make asynchronously at or after {@code sinceNanos}. */
    public boolean asynchronousCommitNotedSince(long sinceNanos) {
        long noted = asynchronousNotedNanos;
        return noted != 0 && noted - sinceNanos >= 0;
    }

    /**
     * Whether a commit visible on the primary at {@code sinceNanos} may not be written yet: a role the database's
     * sessions may log in as commits asynchronously by default, or a session committed so less than the WAL writer's
     * bound before (a commit made
     * through another pgroute or directly with {@code synchronous_commit = off} set in the session is not seen).
     */
    public boolean mayCommitAsynchronously(long sinceNanos) {
        if (roleDefaults.anyAsynchronous()) {
            return true;
        }
        long noted = asynchronousNotedNanos;
        NodeMonitor monitor = monitor();
        return noted != 0 && monitor != null && sinceNanos - noted < monitor.flushWithinNanos();
    }

    /**
     * A replica refused a read with 0A000 "cannot use serializable mode in a hot standby" in a session that did not
     * choose serializable itself: the role's defaults make it so on that server (its configuration, or a change the
     * control plane has not read yet). For {@link #REFUSAL_MEMORY_NANOS} the database's sessions read from the
     * primary; then a read tries the replicas again (an autocommit read that is refused again runs on the primary).
     */
    public void replicaRefusedSerializable() {
        long now = System.nanoTime();
        serializableRefusedNanos = now == 0 ? 1 : now;
    }

    /**
     * Whether a session of {@code role} that did not set {@code default_transaction_isolation} itself runs
     * serializable transactions by default: as the control plane read it, or as a replica's refusal showed recently.
     */
    public boolean serializableByDefault(String role) {
        if (roleDefaults.serializable(role)) {
            return true;
        }
        long refused = serializableRefusedNanos;
        return refused != 0 && System.nanoTime() - refused < REFUSAL_MEMORY_NANOS;
    }

    /** The control plane read the relation catalog again. */
    public void relations(RelationCatalog catalog) {
        relations = catalog;
    }

    /** Remembers a statement shape a replica refused (the safety net's finding), and counts it. */
    public void markWrite(String fingerprint) {
        safetyNetRetries.incrementAndGet();
        if (knownWrites.size() < MAX_PARSED) {
            knownWrites.add(fingerprint);
        }
    }

    public boolean hasKnownWrites() {
        return !knownWrites.isEmpty();
    }

    public boolean isKnownWrite(String fingerprint) {
        return knownWrites.contains(fingerprint);
    }

    /** How many statements were re-run on the primary after a replica refused them. */
    public long safetyNetRetries() {
        return safetyNetRetries.get();
    }

    /** Remembers a pgroute statement name that a server of this database parsed successfully (bounded). */
    public void parsed(String backendName) {
        if (parsedStatements.size() < MAX_PARSED) {
            parsedStatements.add(backendName);
        }
    }

    /**
     * A server answered a Bind of the statement with this pgroute name with 0A000 ("cached plan must not change
     * result type": a table it reads changed shape). Every connection that prepared it before must prepare it
     * again, as a client does after that error: its generation moves on.
     */
    public void planChanged(String backendName) {
        stalePlans.increment();
        if (planGenerations.size() < MAX_PARSED || planGenerations.containsKey(backendName)) {
            planGenerations.merge(backendName, 1, Integer::sum);
        }
    }

    /** How many times a server found the plan of a statement stale (0A000 on a Bind), since start. */
    public long stalePlans() {
        return stalePlans.sum();
    }

    /** How many times the plan of this statement was found stale; 0 for nearly all. */
    public int planGeneration(String backendName) {
        if (planGenerations.isEmpty()) {
            return 0;
        }
        Integer result = planGenerations.get(backendName);
        return result == null ? 0 : result;
    }

    /** Whether a server of this database already parsed the statement with this pgroute name. */
    public boolean isParsed(String backendName) {
        return parsedStatements.contains(backendName);
    }

    @Override
    public void close() {
        NodeMonitor monitor = topology.monitor();
        if (monitor != null) {
            monitor.close();
        }
    }
}
