package io.pgroute.proxy.routing;

import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.RoutingConfig;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Promotes a replica when a database has lost its primary ({@code routing.promote_after}, off by default): once the
 * node that took the writes has been down that long and no configured node is writable, the replica that replayed the
 * most WAL (and is known to follow the lost primary: see {@link ClusterStates}) gets {@code SELECT pg_promote()}, with
 * the control plane's credentials, primary discovery then sends the writes there, and the other replicas are pointed
 * at it ({@link ReplicaRepointer}).
 *
 * <p>pgroute cannot tell a primary that stopped from one it can no longer reach: promoting while the old primary still
 * runs makes two primaries. Several pgroute instances coordinate through the result cache's Redis (the first to take
 * the lock promotes, the others wait for discovery); without it only one instance may have this setting. Checks run
 * on a thread of their own, every {@code health_interval} at most.
 */
public final class Promoter implements AutoCloseable {

    /** Takes the promotion lock of the database for {@code ttl}; completes with whether this pgroute took it. */
    @FunctionalInterface
    public interface Lock {
        CompletableFuture<Boolean> tryLock(Duration ttl);
    }

    private static final Logger LOGGER = LoggerFactory.getLogger(Promoter.class);
    static final String PROMOTE = "SELECT pg_promote(true, 60)";

    private final String database;
    private final DatabaseConfig config;
    private final NodeMonitor monitor;
    private final Duration after;
    private final Duration interval;
    private final String user;
    private final String password;
    private final Lock lock;
    private final ReplicaRepointer repointer;
    private final ScheduledExecutorService executor;
    /**
     * Replicas that were not up when this pgroute promoted, by name, with the position the promoted node had then:
     * pointed at it once they are up (promoter thread only).
     */
    private final java.util.Map<String, Long> pendingRepoints = new java.util.LinkedHashMap<>();
    /** The node this pgroute promoted last, while replicas wait to be pointed at it; else null. */
    private ClusterStates.Member promoted;
    /** When this pgroute last tried (promoted or found the lock taken); 0: not since the primary was last up. */
    private long attemptedNanos;
    private boolean noCandidateLogged;

    /** A promoter for {@code database}, not yet checking (see {@link #start()}); {@code lock} may be null. */
    public Promoter(DatabaseConfig database, RoutingConfig routing, NodeMonitor monitor, String user, String password,
            Lock lock) {
        this.database = database.name();
        this.config = database;
        this.monitor = monitor;
        this.after = routing.promoteAfter();
        long quarter = Math.max(50, after.toMillis() / 4);
        this.interval = Duration.ofMillis(Math.min(routing.healthInterval().toMillis(), quarter));
        this.user = user;
        this.password = password;
        this.lock = lock;
        this.repointer = new ReplicaRepointer(database, user, password);
        this.executor = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "pgroute-promoter-" + database.name());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts checking; returns this promoter. */
    public Promoter start() {
        executor.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        LOGGER.info("database={} promotes the most advanced replica after the primary is down for {} ms{}", database,
                after.toMillis(), lock == null ? " (no shared Redis: only this pgroute may promote)" : "");
        return this;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    private void check() {
        try {
            checkOnce();
        } catch (RuntimeException e) {
            LOGGER.error("database={} promotion check failed; it runs again", database, e);
        }
    }

    /** One check, on the promoter's thread (package-private for tests). */
    void checkOnce() {
        ClusterState state = monitor.state();
        NodeState primary = state.primary();
        if (!pendingRepoints.isEmpty()) {
            repointPending(state);
        }
        if (primary.health() != Health.DOWN) {
            attemptedNanos = 0;
            noCandidateLogged = false;
            return;
        }
        if (Duration.between(primary.since(), Instant.now()).compareTo(after) < 0) {
            return;
        }
        List<ClusterStates.Member> members = monitor.members();
        if (members.stream().anyMatch(each -> each.reading().writable())) {
            return;  // a node takes writes (promoted by someone else): discovery follows it
        }
        long now = System.nanoTime();
        if (attemptedNanos != 0 && now - attemptedNanos < Math.max(after.toNanos(), TimeUnit.SECONDS.toNanos(10))) {
            return;
        }
        ClusterStates.Member best = null;
        for (ClusterStates.Member each : members) {
            NodeState node = state.node(each.name());
            boolean candidate = node != null && !node.primary() && node.health() == Health.UP
                    && node.lastError() == null && each.reading().inRecovery();
            if (candidate && (best == null || each.reading().lsn() > best.reading().lsn())) {
                best = each;
            }
        }
        if (best == null) {
            if (!noCandidateLogged) {
                noCandidateLogged = true;
                LOGGER.error("database={} the primary ({}) is down for {} ms and no replica can be promoted (none up,"
                        + " in recovery and known to follow it)", database, primary.name(),
                        Duration.between(primary.since(), Instant.now()).toMillis());
            }
            return;
        }
        attemptedNanos = now == 0 ? 1 : now;
        if (lock != null && !locked()) {
            return;
        }
        if (promote(best, primary)) {
            repointOthers(best, members, state);
        }
    }

    /**
     * Points the replicas that were not promoted at the promoted one, so that they go on taking reads: those up, in
     * recovery and no further than it (one that replayed further holds WAL the new primary never had: it needs
     * {@code pg_rewind}, which pgroute does not do).
     */
    private void repointOthers(ClusterStates.Member promoted, List<ClusterStates.Member> members, ClusterState state) {
        for (ClusterStates.Member each : members) {
            NodeState node = state.node(each.name());
            if (each == promoted || node == null || node.primary() || !each.reading().inRecovery()) {
                continue;
            }
            if (node.health() != Health.UP) {
                LOGGER.warn("database={} {} is not up: it is pointed at the new primary {} once it is", database,
                        each.name(), promoted.node().address());
                this.promoted = promoted;
                pendingRepoints.put(each.name(), promoted.reading().lsn());
            } else if (each.reading().lsn() > promoted.reading().lsn()) {
                LOGGER.error("database={} {} replayed further ({}) than {} had ({}): it cannot follow the new primary "
                        + "without pg_rewind", database, each.name(), Lsn.format(each.reading().lsn()),
                        promoted.name(), Lsn.format(promoted.reading().lsn()));
            } else {
                repointer.repoint(each.name(), each.node(), promoted.node());
            }
        }
    }

    /**
     * Points the replicas that were down at the promotion at the promoted node once they are up again (and still no
     * further than it was then); forgets them when another node took the writes since. One attempt each.
     */
    private void repointPending(ClusterState state) {
        if (!state.primary().name().equals(promoted.name())) {
            LOGGER.warn("database={} {} no longer takes the writes: not pointing {} at it", database, promoted.name(),
                    pendingRepoints.keySet());
            pendingRepoints.clear();
            return;
        }
        for (ClusterStates.Member each : monitor.members()) {
            Long fork = pendingRepoints.get(each.name());
            NodeState node = state.node(each.name());
            if (fork == null || node == null || node.health() != Health.UP || !each.reading().inRecovery()) {
                continue;
            }
            pendingRepoints.remove(each.name());
            if (each.reading().lsn() > fork) {
                LOGGER.error("database={} {} is back but replayed further ({}) than {} had at its promotion ({}): it "
                        + "cannot follow the new primary without pg_rewind", database, each.name(),
                        Lsn.format(each.reading().lsn()), promoted.name(), Lsn.format(fork));
            } else {
                repointer.repoint(each.name(), each.node(), promoted.node());
            }
        }
    }

    private boolean locked() {
        Duration ttl = after.multipliedBy(2).plusSeconds(60);
        try {
            if (lock.tryLock(ttl).get(5, TimeUnit.SECONDS)) {
                return true;
            }
            LOGGER.info("database={} another pgroute holds the promotion lock: it promotes", database);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOGGER.warn("database={} cannot take the promotion lock in Redis, so no promotion: {}", database,
                    e.getCause() == null ? e.toString() : e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** Whether {@code replica} was promoted. */
    private boolean promote(ClusterStates.Member replica, NodeState lost) {
        LOGGER.warn("database={} the primary ({}) is down for {} ms: promoting {} ({}), the replica that replayed the"
                + " most (at {})", database, lost.name(), Duration.between(lost.since(), Instant.now()).toMillis(),
                replica.name(), replica.node().address(), Lsn.format(replica.reading().lsn()));
        try (Connection connection = JdbcEndpoint.connect(config, user, password, replica.node(), "pgroute-promoter",
                "5", "70");
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(PROMOTE)) {
            rows.next();
            if (rows.getBoolean(1)) {
                LOGGER.warn("database={} {} promoted: writes go there once the monitor sees it", database,
                        replica.name());
                return true;
            }
            LOGGER.error("database={} {} did not finish its promotion within 60 s", database, replica.name());
            return false;
        } catch (SQLException e) {
            String hint = "42501".equals(e.getSQLState()) ? " (GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer)"
                    + " TO " + user + ", or use a superuser as the database's user)" : "";
            LOGGER.error("database={} promoting {} failed: {} {}{}", database, replica.name(), e.getSQLState(),
                    e.getMessage(), hint);
            return false;
        }
    }
}
