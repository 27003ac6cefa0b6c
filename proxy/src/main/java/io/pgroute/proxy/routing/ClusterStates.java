package io.pgroute.proxy.routing;

import io.pgroute.config.NodeConfig;
import io.pgroute.config.RoutingConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the probes' latest readings and the primary's samples into a {@link ClusterState}: lag in bytes and time
 * and eligibility under {@code routing.max_lag} / {@code max_lag_bytes}. Logs a replica leaving the eligible set for
 * lag (WARN) and coming back (INFO); health changes are logged by the probes. Called by one thread at a time.
 */
final class ClusterStates {

    private static final Logger LOGGER = LoggerFactory.getLogger(ClusterStates.class);

    private final String database;
    private final long maxLagNanos;
    private final long maxLagBytes;
    private boolean[] laggingBefore = new boolean[0];

    ClusterStates(String database, RoutingConfig routing) {
        this.database = database;
        this.maxLagNanos = routing.maxLag().toNanos();
        this.maxLagBytes = routing.maxLagBytes();
    }

    /**
     * The state now. {@code holdLag}: the primary's samples are sparse (the monitor sleeps), which can make a replica
     * look lagging that is not: a replica may stop lagging then (its position caught up), but not start.
     */
    ClusterState assemble(NodeProbe primary, List<NodeProbe> replicas, PrimarySamples samples, boolean holdLag) {
        long now = System.nanoTime();
        long primaryLsn = samples.latestLsn();
        if (laggingBefore.length != replicas.size()) {
            laggingBefore = new boolean[replicas.size()];
        }
        List<NodeState> replicaStates = new ArrayList<>(replicas.size());
        for (int i = 0; i < replicas.size(); i++) {
            replicaStates.add(replica(i, replicas.get(i), primaryLsn, samples, now, holdLag));
        }
        NodeProbe.Reading reading = primary.reading();
        NodeConfig node = primary.node();
        NodeState primaryState = new NodeState(primary.name(), node.host(), node.port(), node.weight(), node.zone(),
                true, reading.health(), primaryLsn, 0, Duration.ZERO, reading.health() == Health.UP,
                reading.lastError(), reading.since(), reading.sentNanos());
        return new ClusterState(primaryLsn, samples.latestNanos(), replicaStates, primaryState);
    }

    /** Whether some node's health or eligibility differs between two states of the same database. */
    static boolean availabilityChanged(ClusterState previous, ClusterState next) {
        if (previous.primary().health() != next.primary().health()) {
            return true;
        }
        for (int i = 0; i < next.replicas().size(); i++) {
            NodeState before = previous.replicas().get(i);
            NodeState after = next.replicas().get(i);
            if (before.health() != after.health() || before.eligible() != after.eligible()) {
                return true;
            }
        }
        return false;
    }

    private NodeState replica(int index, NodeProbe probe, long primaryLsn, PrimarySamples samples, long now,
            boolean holdLag) {
        NodeProbe.Reading reading = probe.reading();
        boolean up = reading.health() == Health.UP;
        long lagBytes = Math.max(0, primaryLsn - reading.lsn());
        long firstSeen = up ? samples.firstSeenAbove(reading.lsn()) : -1;
        long lagNanos = firstSeen < 0 ? 0 : Math.max(0, now - firstSeen);
        boolean measured = up && (maxLagBytes > 0 && lagBytes > maxLagBytes
                || maxLagNanos > 0 && lagNanos > maxLagNanos);
        boolean lagging = holdLag ? measured && laggingBefore[index] : measured;
        boolean eligible = up && reading.inRecovery() && !lagging;
        logLagTransition(index, reading, probe.name(), lagging, lagBytes, lagNanos);
        NodeConfig node = probe.node();
        return new NodeState(probe.name(), node.host(), node.port(), node.weight(), node.zone(), false,
                reading.health(), reading.lsn(), lagBytes, Duration.ofNanos(lagNanos), eligible, reading.lastError(),
                reading.since(), reading.sentNanos());
    }

    private void logLagTransition(int index, NodeProbe.Reading reading, String name, boolean lagging, long lagBytes,
            long lagNanos) {
        if (reading.health() != Health.UP) {
            laggingBefore[index] = false;
            return;
        }
        if (lagging == laggingBefore[index]) {
            return;
        }
        laggingBefore[index] = lagging;
        if (lagging) {
            LOGGER.warn("database={} node={} lags {} bytes / {} ms, beyond routing.max_lag: no reads until it catches"
                    + " up", database, name, lagBytes, lagNanos / 1_000_000);
        } else {
            LOGGER.info("database={} node={} caught up: takes reads again", database, name);
        }
    }
}
