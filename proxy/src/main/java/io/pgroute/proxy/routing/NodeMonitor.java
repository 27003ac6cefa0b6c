package io.pgroute.proxy.routing;

import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.NodeConfig;
import io.pgroute.config.RoutingConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's view of one database's servers: every {@code routing.lag_interval} it samples the primary's
 * {@code pg_current_wal_lsn()} and each replica's {@code pg_last_wal_replay_lsn()} over plain JDBC connections,
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
 * re-probed every {@code routing.health_interval}. {@link #state()}, {@link #watermarkAfter(long)} and
 * {@link #addListener} may be called from any thread.
 */
public final class NodeMonitor implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(NodeMonitor.class);
    private static final int MIN_SAMPLES = 1024;
    private static final int MAX_SAMPLES = 1 << 16;

    private final String database;
    private final RoutingConfig routing;
    private final NodeProbe primary;
    private final List<NodeProbe> replicas;
    private final PrimarySamples samples;
    private final ClusterStates states;
    private final List<Consumer<ClusterState>> listeners = new CopyOnWriteArrayList<>();
    private final List<ScheduledThreadPoolExecutor> executors;
    private volatile ClusterState state;

    /**
     * A monitor for {@code database}, not yet sampling (see {@link #start()}). {@code user} and {@code password}
     * are the credentials for every server, normally {@link DatabaseConfig#user()} and
     * {@link DatabaseConfig#password()}, or whatever the caller substitutes when those are null.
     */
    public NodeMonitor(DatabaseConfig database, RoutingConfig routing, String user, String password) {
        this.database = database.name();
        this.routing = routing;
        this.primary = probe(database, "primary", database.primary(), true, user, password, routing);
        List<NodeProbe> probes = new ArrayList<>();
        for (int i = 0; i < database.replicas().size(); i++) {
            probes.add(probe(database, "replica" + (i + 1), database.replicas().get(i), false, user, password,
                    routing));
        }
        this.replicas = List.copyOf(probes);
        this.samples = new PrimarySamples(sampleCapacity(routing));
        this.states = new ClusterStates(database.name(), routing);
        this.state = states.assemble(primary, replicas, samples);
        List<ScheduledThreadPoolExecutor> threads = new ArrayList<>();
        threads.add(executor(database.name(), primary));
        replicas.forEach(each -> threads.add(executor(database.name(), each)));
        this.executors = List.copyOf(threads);
    }

    /** Starts sampling every node now and then every {@code routing.lag_interval}; returns this monitor. */
    public NodeMonitor start() {
        long interval = routing.lagInterval().toNanos();
        executors.get(0).scheduleWithFixedDelay(() -> run(primary), 0, interval, TimeUnit.NANOSECONDS);
        for (int i = 0; i < replicas.size(); i++) {
            NodeProbe replica = replicas.get(i);
            executors.get(i + 1).scheduleWithFixedDelay(() -> run(replica), 0, interval, TimeUnit.NANOSECONDS);
        }
        LOGGER.info("database={} monitoring {} and {} replica(s) every {} ms", database, primary.node().address(),
                replicas.size(), routing.lagInterval().toMillis());
        return this;
    }

    /** The latest snapshot; before the first samples every node is DOWN. One volatile read. */
    public ClusterState state() {
        return state;
    }

    /**
     * The read-your-writes watermark of a write committed at {@code commitNanos} ({@link System#nanoTime()} taken
     * once the commit was acknowledged): the first primary LSN sampled after it, or empty if no sample after it
     * exists yet, in which case reads must go to the primary. Lock-free; usually one volatile read and one array
     * read, a binary search over the ring for older commits.
     */
    public OptionalLong watermarkAfter(long commitNanos) {
        long result = samples.firstAfter(commitNanos);
        return result == Lsn.INVALID ? OptionalLong.empty() : OptionalLong.of(result);
    }

    /**
     * Calls {@code listener} with the new state whenever a node's health or eligibility changes, on a monitor
     * thread: it must be quick and must not block.
     */
    public void addListener(Consumer<ClusterState> listener) {
        listeners.add(listener);
    }

    /** Stops sampling and closes the connections; waits at most about two seconds. Idempotent. */
    @Override
    public void close() {
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

    private void run(NodeProbe probe) {
        try {
            if (!probe.sample()) {
                return;
            }
            NodeProbe.Reading reading = probe.reading();
            if (probe.primary() && reading.health() == Health.UP) {
                samples.add(reading.lsn(), reading.sentNanos());
            }
            publish();
        } catch (RuntimeException e) {
            LOGGER.error("database={} node={} monitor task failed; it runs again next interval", database,
                    probe.name(), e);
        }
    }

    private synchronized void publish() {
        ClusterState previous = state;
        ClusterState next = states.assemble(primary, replicas, samples);
        state = next;
        if (ClusterStates.availabilityChanged(previous, next)) {
            listeners.forEach(each -> each.accept(next));
        }
    }

    private static NodeProbe probe(DatabaseConfig database, String name, NodeConfig node, boolean primary,
            String user, String password, RoutingConfig routing) {
        return new NodeProbe(database.name(), name, node, primary, database.dbname(), user, password, database.tls(),
                routing.healthInterval());
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
        result.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return result;
    }
}
