package io.pgroute.proxy.routing;

import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.NodeConfig;
import io.pgroute.config.RoutingConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's view of one database's servers: every {@code routing.lag_interval} it samples each node's role
 * and WAL position ({@code pg_current_wal_lsn()} and {@code pg_current_wal_insert_lsn()} on a primary,
 * {@code pg_last_wal_replay_lsn()} and {@code pg_last_wal_receive_lsn()} on a replica) over
 * plain JDBC connections, decides which node is the primary (it may have changed: see {@link ClusterStates}),
 * derives health, lag and eligibility, and publishes an immutable {@link ClusterState} through a volatile field so
 * that event loops read it without locks.
 *
 * <pre>
 *   thread per node ──sample──▶ NodeProbe.Reading ──┐
 *   primary's thread ──(lsn, nanos)──▶ PrimarySamples ┴─publish()─▶ volatile ClusterState ─▶ event loops
 * </pre>
 *
 * <p>Each node is sampled on its own daemon thread ({@code pgroute-monitor-<db>-<node>}), so a server that stops
 * answering (each query has a one-second timeout) never delays the samples of the others; a DOWN node is
 * re-probed every {@code routing.health_interval}. {@link #state()}, {@link #watermarkAfter(long)}, {@link #demand()}
 * and {@link #addListener} may be called from any thread.
 *
 * <p>Sampling follows demand: after {@code routing.lag_idle_after} without a {@link #demand()} (a read that could go
 * to a replica) nor a {@link #watermarkAfter} (such a read after a write, or a write the result cache settles), every
 * node is sampled only every {@code routing.health_interval}, which costs an idle pgroute (and its servers) almost
 * nothing. The next demand wakes every node's thread at once and gets a future that completes when each has been
 * sampled again (about a millisecond), so that a read is not placed on samples that old. While asleep a replica may
 * leave the lagging state but not enter it (sparse primary samples can make lag look longer than it is); the fresh
 * round judges lag again before the read is placed.
 */
public final class NodeMonitor implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(NodeMonitor.class);
    private static final int MIN_SAMPLES = 1024;
    private static final int MAX_SAMPLES = 1 << 16;
    /** {@link #demand()} writes its time at most this often: the field is read by every probe thread. */
    private static final long DEMAND_RESOLUTION_NANOS = 1_000_000;
    /** The longest a demand waits for a fresh round: a node that does not answer must not hold reads up. */
    private static final long WAKE_BOUND_MILLIS = 100;

    private final String database;
    private final RoutingConfig routing;
    private final NodeProbe primary;
    private final List<NodeProbe> replicas;
    private final int sampleCapacity;
    /** The acting primary's positions; a new series each time the primary changes (another timeline). */
    private volatile PrimarySamples samples;
    private volatile long primaryChanges;
    private final ClusterStates states;
    private final List<Consumer<ClusterState>> listeners = new CopyOnWriteArrayList<>();
    /** Counts down once for each node's first sample attempt. */
    private final java.util.concurrent.CountDownLatch firstRound;
    /** Closed with this monitor (a {@link Promoter}). */
    private final List<AutoCloseable> attached = new CopyOnWriteArrayList<>();
    private final List<ScheduledThreadPoolExecutor> executors;
    /** Primary first, then the replicas: index i runs on {@code executors.get(i)}. */
    private final List<NodeProbe> probes;
    /** Each node's next tick; element i is touched only on node i's thread (its executor has one). */
    private final ScheduledFuture<?>[] next;
    private final long lagIntervalNanos;
    private final long idleAfterNanos;
    private final long healthIntervalNanos;
    private volatile ClusterState state;
    /** The acting primary's {@link NodeProbe#flushWithinNanos}, kept by {@link #publish}. */
    private volatile long flushWithinNanos = TimeUnit.SECONDS.toNanos(30);
    /** When something last needed fresh samples (coarse: see {@link #DEMAND_RESOLUTION_NANOS}). */
    private volatile long demandNanos = System.nanoTime();
    /** Sampling every health_interval only, until the next {@link #demand()}. */
    private volatile boolean sleeping;
    /** The round a {@link #demand()} woke the monitor for, until every node was sampled after it; else null. */
    private volatile Wake wake;

    /**
     * A monitor for {@code database}, not yet sampling (see {@link #start()}). {@code user} and {@code password}
     * are the credentials for every server, normally {@link DatabaseConfig#user()} and
     * {@link DatabaseConfig#password()}, or whatever the caller substitutes when those are null.
     */
    public NodeMonitor(DatabaseConfig database, RoutingConfig routing, String user, String password) {
        this.database = database.name();
        this.routing = routing;
        this.primary = probe(database, "primary", database.primary(), true, user, password, routing);
        List<NodeProbe> replicaProbes = new ArrayList<>();
        for (int i = 0; i < database.replicas().size(); i++) {
            replicaProbes.add(probe(database, "replica" + (i + 1), database.replicas().get(i), false, user, password,
                    routing));
        }
        this.replicas = List.copyOf(replicaProbes);
        this.sampleCapacity = sampleCapacity(routing);
        this.samples = new PrimarySamples(sampleCapacity);
        this.states = new ClusterStates(database.name(), routing);
        List<NodeProbe> all = new ArrayList<>();
        all.add(primary);
        all.addAll(replicas);
        this.probes = List.copyOf(all);
        this.state = states.assemble(members(), samples, false);
        List<ScheduledThreadPoolExecutor> threads = new ArrayList<>();
        threads.add(executor(database.name(), primary));
        replicas.forEach(each -> threads.add(executor(database.name(), each)));
        this.executors = List.copyOf(threads);
        this.next = new ScheduledFuture<?>[probes.size()];
        this.firstRound = new java.util.concurrent.CountDownLatch(probes.size());
        this.lagIntervalNanos = routing.lagInterval().toNanos();
        this.idleAfterNanos = routing.lagIdleAfter().toNanos();
        this.healthIntervalNanos = routing.healthInterval().toNanos();
    }

    /**
     * Before {@link #start()}: takes {@code node}, if it is one of the configured nodes, for the primary until the
     * samples say otherwise. An online reload passes what the previous monitor of the database found, so that a
     * failover followed before is not forgotten (the configured primary may be down, or writable on an old timeline).
     */
    public synchronized NodeMonitor assumePrimary(NodeConfig node) {
        for (int i = 0; i < probes.size(); i++) {
            NodeConfig each = probes.get(i).node();
            if (i != states.acting() && each.port() == node.port() && each.host().equals(node.host())) {
                states.assume(i);
                state = states.assemble(members(), samples, false);
                LOGGER.info("database={} takes {} ({}) for the primary, as before the reload", database,
                        probes.get(i).name(), each.address());
                break;
            }
        }
        return this;
    }

    /** Starts sampling every node now and then every {@code routing.lag_interval}; returns this monitor. */
    public NodeMonitor start() {
        for (int i = 0; i < probes.size(); i++) {
            int index = i;
            executors.get(i).execute(() -> tick(index));
        }
        LOGGER.info("database={} monitoring {} and {} replica(s) every {} ms", database, primary.node().address(),
                replicas.size(), routing.lagInterval().toMillis());
        return this;
    }

    /**
     * Waits until every node was probed once (answered or failed), so that the primary is decided, at most
     * {@code max}; returns whether that happened. A node that refuses connections fails at once; one that hangs takes
     * the probe's one-second timeouts.
     */
    public boolean awaitFirstRound(Duration max) throws InterruptedException {
        return firstRound.await(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The latest snapshot; before the first samples every node is DOWN. One volatile read. */
    public ClusterState state() {
        return state;
    }

    /**
     * The configured node that takes writes: the configuration's primary, or the node found writable on a newer
     * timeline ({@code routing.discover_primary}).
     */
    public NodeConfig primaryNode() {
        String name = state.primary().name();  // the published state says which node: no second copy of it
        for (NodeProbe each : probes) {
            if (each.name().equals(name)) {
                return each.node();
            }
        }
        return primary.node();
    }

    /** How many times another node became the primary since this monitor started. */
    public long primaryChanges() {
        return primaryChanges;
    }

    /**
     * The read-your-writes watermark of a write committed at {@code commitNanos} ({@link System#nanoTime()} taken
     * once the commit was acknowledged), or of anything the primary showed by then: the WAL the primary had inserted
     * at its first sample after that time, once written (see {@link PrimarySamples#visibleAfter}); empty until then,
     * and reads must go to the primary. Lock-free; usually a few volatile and array reads, a binary search over the
     * ring for older commits.
     */
    public OptionalLong watermarkAfter(long commitNanos) {
        return watermarkAfter(commitNanos, true);
    }

    /**
     * {@link #watermarkAfter(long)}, or, when no commit can have been asynchronous ({@code asynchronous} false), the
     * WAL the primary had written at its first sample after that time: every synchronous commit is written before
     * anyone sees it, and WAL only inserted (an open transaction's, a read's page pruning) is not waited for.
     */
    public OptionalLong watermarkAfter(long commitNanos, boolean asynchronous) {
        demand();  // wakes a sleeping monitor: such a position comes only from a sample taken after the commit
        PrimarySamples current = samples;
        long result = asynchronous ? current.visibleAfter(commitNanos, flushWithinNanos)
                : current.firstAfter(commitNanos);
        return result == Lsn.INVALID ? OptionalLong.empty() : OptionalLong.of(result);
    }

    /** How long after a commit an asynchronous commit's WAL is surely written on the acting primary. */
    public long flushWithinNanos() {
        return flushWithinNanos;
    }

    /**
     * Something is about to use the replicas' positions (a read that could go to a replica): keeps the monitor
     * sampling every {@code lag_interval}. Null when the samples are current; else (the monitor slept) a future that
     * completes normally once every node has been sampled after this call, or after at most 100 ms. Cheap: a clock
     * read and two volatile reads while awake.
     */
    public CompletableFuture<Void> demand() {
        long now = System.nanoTime();
        if (now - demandNanos > DEMAND_RESOLUTION_NANOS) {
            demandNanos = now;
        }
        Wake pending = wake;
        if (pending != null) {
            return pending.done.isDone() ? null : pending.done;
        }
        return sleeping ? wake(now) : null;
    }

    /** Whether the monitor samples every {@code health_interval} only, for lack of demand. */
    public boolean sleeping() {
        return sleeping;
    }

    /**
     * Calls {@code listener} with the new state whenever a node's health or eligibility changes, on a monitor
     * thread: it must be quick and must not block.
     */
    public void addListener(Consumer<ClusterState> listener) {
        listeners.add(listener);
    }

    /** Closes {@code resource} when this monitor closes (a reload replaces the monitor). */
    public void attach(AutoCloseable resource) {
        attached.add(resource);
    }

    /** Stops sampling and closes the connections; waits at most about two seconds. Idempotent. */
    @Override
    public void close() {
        for (AutoCloseable each : attached) {
            try {
                each.close();
            } catch (Exception e) {
                LOGGER.warn("database={} closing {} failed: {}", database, each, e.toString());
            }
        }
        executors.forEach(ScheduledThreadPoolExecutor::shutdownNow);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        try {
            for (ScheduledThreadPoolExecutor each : executors) {
                if (!each.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    LOGGER.warn("database={} a monitor thread did not stop within 2 s", database);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        primary.close();
        replicas.forEach(NodeProbe::close);
    }

    /**
     * On node {@code index}'s thread, every lag_interval (every health_interval while asleep), and at once when a
     * demand wakes the monitor: one sample, then the next tick. Whichever runs cancels the tick pending, so each node
     * has one.
     */
    private void tick(int index) {
        try {
            long now = System.nanoTime();
            if (!sleeping && idleAfterNanos > 0 && now - demandNanos > idleAfterNanos && wake == null) {
                fallAsleep(now);
            }
            run(index, now);
        } finally {
            ScheduledFuture<?> pending = next[index];
            if (pending != null) {
                pending.cancel(false);  // a woken node's health_interval tick, or this one (done anyway)
            }
            try {
                next[index] = executors.get(index).schedule(() -> tick(index),
                        sleeping ? healthIntervalNanos : lagIntervalNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closing) {
                next[index] = null;  // the monitor is closing
            }
        }
    }

    private void run(int index, long started) {
        NodeProbe probe = probes.get(index);
        try {
            boolean first = !probe.probed();
            if (probe.sample()) {
                publish(index);
            }
            if (first && probe.probed()) {
                firstRound.countDown();
            }
        } catch (RuntimeException e) {
            LOGGER.error("database={} node={} monitor task failed; it runs again next interval", database,
                    probe.name(), e);
        } finally {
            sampledForWake(index, started);  // a node down and not due counts too: no sample is coming
        }
    }

    private synchronized void fallAsleep(long now) {
        if (sleeping || wake != null || now - demandNanos <= idleAfterNanos) {
            return;  // a demand came meanwhile
        }
        sleeping = true;
        LOGGER.debug("database={} no read needed the replicas' positions for {} ms: sampling every {} ms", database,
                idleAfterNanos / 1_000_000, healthIntervalNanos / 1_000_000);
    }

    /** Wakes a sleeping monitor: every node is sampled now, on its own thread. */
    private synchronized CompletableFuture<Void> wake(long now) {
        if (wake != null) {
            return wake.done.isDone() ? null : wake.done;
        }
        if (!sleeping) {
            return null;
        }
        Wake round = new Wake(now, probes.size());
        round.done.completeOnTimeout(null, WAKE_BOUND_MILLIS, TimeUnit.MILLISECONDS);
        wake = round;
        sleeping = false;
        for (int i = 0; i < probes.size(); i++) {
            int index = i;
            try {
                executors.get(i).execute(() -> tick(index));
            } catch (RejectedExecutionException closed) {
                round.done.complete(null);  // the monitor is closing: nothing to wait for
            }
        }
        LOGGER.debug("database={} a read needs the replicas' positions: sampling every {} ms again", database,
                routing.lagInterval().toMillis());
        return round.done;
    }

    private void sampledForWake(int index, long started) {
        Wake round = wake;
        if (round == null || started - round.at < 0) {
            return;
        }
        boolean last;
        synchronized (this) {
            if (wake != round || round.sampled[index]) {
                return;
            }
            round.sampled[index] = true;
            last = --round.remaining == 0;
            if (last) {
                wake = null;
            }
        }
        if (last) {
            publish(-1);  // lag judged again on the fresh round, before anyone places a read on it
            round.done.complete(null);
        }
    }

    /** A round of samples a {@link #demand()} waits for: every node, each sampled after {@code at}. */
    private static final class Wake {
        final long at;
        final boolean[] sampled;
        int remaining;
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Wake(long at, int nodes) {
            this.at = at;
            this.sampled = new boolean[nodes];
            this.remaining = nodes;
        }
    }

    /**
     * Decides the primary, records node {@code sampled}'s new position if it is the primary's (-1: no new sample),
     * and publishes the state.
     */
    private synchronized void publish(int sampled) {
        ClusterState previous = state;
        List<ClusterStates.Member> members = members();
        // not before every node answered or failed once: a node not probed yet may be the one on the newest timeline
        if (probes.stream().allMatch(NodeProbe::probed) && states.choosePrimary(members)) {
            samples = new PrimarySamples(sampleCapacity);  // positions of another timeline
            primaryChanges = states.changes();
            NodeProbe.Reading reading = members.get(states.acting()).reading();
            if (states.acting() != sampled && reading.writable()) {
                samples.add(reading.lsn(), reading.shownLsn(), reading.sentNanos());
            }
        }
        flushWithinNanos = probes.get(states.acting()).flushWithinNanos();
        NodeProbe.Reading reading = sampled < 0 ? null : members.get(sampled).reading();
        if (sampled == states.acting() && reading.writable()) {
            samples.add(reading.lsn(), reading.shownLsn(), reading.sentNanos());
        }
        // asleep, or woken but not every node sampled again: sparse primary samples would overstate lag
        ClusterState next = states.assemble(members, samples, sleeping || wake != null);
        state = next;
        if (ClusterStates.availabilityChanged(previous, next)) {
            listeners.forEach(each -> each.accept(next));
        }
    }

    /** Every configured node with its latest reading, the configured primary first. */
    List<ClusterStates.Member> members() {
        List<ClusterStates.Member> result = new ArrayList<>(probes.size());
        for (NodeProbe each : probes) {
            result.add(new ClusterStates.Member(each.name(), each.node(), each.reading()));
        }
        return result;
    }

    private static NodeProbe probe(DatabaseConfig database, String name, NodeConfig node, boolean primary,
            String user, String password, RoutingConfig routing) {
        return new NodeProbe(database.name(), name, node, primary, database.dbname(), user, password, database.tls(),
                database.tlsCa(), routing.healthInterval());
    }

    /** Enough entries to measure lag times up to twice {@code max_lag} (10 s when unlimited) under constant writes. */
    private static int sampleCapacity(RoutingConfig routing) {
        Duration span = routing.maxLag().isZero() ? Duration.ofSeconds(10) : routing.maxLag().multipliedBy(2);
        long wanted = span.toNanos() / routing.lagInterval().toNanos() + 16;
        return (int) Math.max(MIN_SAMPLES, Math.min(MAX_SAMPLES, wanted));
    }

    private static ScheduledThreadPoolExecutor executor(String database, NodeProbe probe) {
        ThreadFactory factory = task -> {
            Thread result = new Thread(task, "pgroute-monitor-" + database + "-" + probe.name());
            result.setDaemon(true);
            return result;
        };
        ScheduledThreadPoolExecutor result = new ScheduledThreadPoolExecutor(1, factory);
        result.setRemoveOnCancelPolicy(true);  // a wake cancels a tick due a health_interval later
        result.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return result;
    }
}
