package io.pgroute.proxy.routing;

import io.pgroute.config.NodeConfig;
import io.pgroute.config.RoutingConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the probes' latest readings and the primary's samples into a {@link ClusterState}: which configured node is
 * the primary, lag in bytes and time, and eligibility under {@code routing.max_lag} / {@code max_lag_bytes}. Logs a
 * replica leaving the eligible set for lag (WARN) and coming back (INFO), and a change of primary; health changes are
 * logged by the probes. Called by one thread at a time.
 *
 * <p><b>Which node is the primary</b> ({@code routing.discover_primary}): the configuration's primary until another
 * configured node is seen writable on a newer timeline, or writable while the current one is not (a replica promoted
 * by Patroni, repmgr, pg_auto_failover or an operator). The newest timeline wins: an old primary that comes back
 * writable on the timeline it had (it was not rewound) takes no writes. Two nodes writable on the same newest timeline,
 * neither of them the current primary, decide nothing: the current one stays and an ERROR is logged.
 *
 * <p><b>Replicas after a change of primary</b> may not follow the new one: one that replayed WAL of the old primary
 * beyond the point where the new one left it (asynchronous replication) holds rows the new primary never had. Until it
 * is shown to follow, it takes no reads: it is a known prefix of the new primary's history when its position is at most
 * the new primary's last position seen as a replica, and it follows when its position moves on while no node but the
 * primary is writable.
 */
final class ClusterStates {

    /** One configured node as the monitor last read it: the primary of the configuration is member 0. */
    record Member(String name, NodeConfig node, NodeProbe.Reading reading) {
    }

    private static final Logger LOGGER = LoggerFactory.getLogger(ClusterStates.class);

    private final String database;
    private final long maxLagNanos;
    private final long maxLagBytes;
    private final boolean discover;
    private boolean[] laggingBefore = new boolean[0];
    /** The member that takes writes; 0 (the configured primary) until another is found writable. */
    private int acting;
    /** Each member's last position seen while it was in recovery, {@link Lsn#INVALID} before. */
    private long[] recoveryLsn = new long[0];
    /** Members not known to follow the acting primary since it changed. */
    private boolean[] unverified = new boolean[0];
    /** An unverified member's first position seen in recovery after the change; {@link Lsn#INVALID} before. */
    private long[] baseline = new long[0];
    /** The acting primary's last position as a replica before it was promoted; {@link Lsn#INVALID} if never seen. */
    private long switchBound = Lsn.INVALID;
    /** Members writable but not acting (logged once each time). */
    private boolean[] strayWritable = new boolean[0];
    private boolean ambiguous;
    private long changes;

    ClusterStates(String database, RoutingConfig routing) {
        this.database = database;
        this.maxLagNanos = routing.maxLag().toNanos();
        this.maxLagBytes = routing.maxLagBytes();
        this.discover = routing.discoverPrimary();
    }

    /** The member that takes writes (0: the configured primary). */
    int acting() {
        return acting;
    }

    /** Takes member {@code index} for the primary from the start (what an earlier monitor found: a reload). */
    void assume(int index) {
        acting = index;
    }

    /** How many times the primary changed since start. */
    long changes() {
        return changes;
    }

    /**
     * Decides which member is the primary from the latest readings (see the class).
     *
     * @return whether it changed: the caller starts a new series of primary samples
     */
    boolean choosePrimary(List<Member> members) {
        size(members.size());
        for (int i = 0; i < members.size(); i++) {
            NodeProbe.Reading reading = members.get(i).reading();
            if (reading.health() == Health.UP && reading.inRecovery()) {
                recoveryLsn[i] = reading.lsn();
            }
        }
        if (!discover) {
            return false;
        }
        long newest = -1;
        for (Member each : members) {
            if (each.reading().writable()) {
                newest = Math.max(newest, each.reading().timeline());
            }
        }
        int winner = -1;
        int winners = 0;
        boolean actingWins = false;
        for (int i = 0; i < members.size(); i++) {
            NodeProbe.Reading reading = members.get(i).reading();
            if (reading.writable() && reading.timeline() == newest) {
                winners++;
                winner = i;
                actingWins |= i == acting;
            }
        }
        logStrays(members, newest);
        if (winners == 0 || actingWins) {
            ambiguous = false;
            return false;
        }
        if (winners > 1) {
            if (!ambiguous) {
                ambiguous = true;
                LOGGER.error("database={} {} nodes are writable on timeline {}, none of them {}: writes stay on {}"
                        + " until one is left", database, winners, newest, members.get(acting).name(),
                        members.get(acting).name());
            }
            return false;
        }
        ambiguous = false;
        Member before = members.get(acting);
        Member after = members.get(winner);
        acting = winner;
        changes++;
        switchBound = recoveryLsn[winner];
        for (int i = 0; i < members.size(); i++) {
            unverified[i] = i != winner;
            baseline[i] = Lsn.INVALID;
        }
        LOGGER.warn("database={} the primary is now {} ({}, timeline {}); it was {} ({}, {}): writes go there, and the"
                + " other nodes take reads once they follow it", database, after.name(), after.node().address(),
                after.reading().timeline(), before.name(), before.node().address(), before.reading().writable()
                ? "writable on timeline " + before.reading().timeline() : before.reading().health() == Health.UP
                ? "in recovery" : "down");
        return true;
    }

    /**
     * The state now, with the primary {@link #choosePrimary} last chose. {@code holdLag}: the primary's samples are
     * sparse (the monitor sleeps), which can make a replica look lagging that is not: a replica may stop lagging then
     * (its position caught up), but not start.
     */
    ClusterState assemble(List<Member> members, PrimarySamples samples, boolean holdLag) {
        size(members.size());
        long now = System.nanoTime();
        long primaryLsn = samples.latestLsn();
        boolean strays = false;
        for (int i = 0; i < members.size(); i++) {
            strays |= i != acting && members.get(i).reading().writable();
        }
        List<NodeState> replicaStates = new ArrayList<>(members.size() - 1);
        for (int i = 0; i < members.size(); i++) {
            if (i != acting) {
                replicaStates.add(replica(i, members.get(i), primaryLsn, samples, now, holdLag, strays));
            }
        }
        Member primary = members.get(acting);
        NodeProbe.Reading reading = primary.reading();
        NodeConfig node = primary.node();
        NodeState primaryState = new NodeState(primary.name(), node.host(), node.port(), node.weight(), node.zone(),
                true, reading.health(), primaryLsn, 0, Duration.ZERO, reading.writable(),
                reading.lastError() == null && reading.health() == Health.UP && reading.inRecovery()
                        ? "in recovery: takes no writes" : reading.lastError(), reading.since(), reading.sentNanos(),
                reading.shownLsn(), reading.version());
        return new ClusterState(primaryLsn, samples.latestNanos(), replicaStates, primaryState);
    }

    /** Whether some node's health, eligibility or role differs between two states of the same database. */
    static boolean availabilityChanged(ClusterState previous, ClusterState next) {
        if (previous.primary().health() != next.primary().health()
                || previous.primary().eligible() != next.primary().eligible()
                || !previous.primary().name().equals(next.primary().name())) {
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

    private NodeState replica(int index, Member member, long primaryLsn, PrimarySamples samples, long now,
            boolean holdLag, boolean strays) {
        NodeProbe.Reading reading = member.reading();
        boolean up = reading.health() == Health.UP;
        long lagBytes = Math.max(0, primaryLsn - reading.lsn());
        long firstSeen = up ? samples.firstSeenAbove(reading.lsn()) : -1;
        long lagNanos = firstSeen < 0 ? 0 : Math.max(0, now - firstSeen);
        boolean measured = up && reading.inRecovery() && (maxLagBytes > 0 && lagBytes > maxLagBytes
                || maxLagNanos > 0 && lagNanos > maxLagNanos);
        boolean lagging = holdLag ? measured && laggingBefore[index] : measured;
        boolean follows = verify(index, member, strays);
        boolean eligible = up && reading.inRecovery() && !lagging && follows;
        logLagTransition(index, reading, member.name(), lagging, lagBytes, lagNanos);
        NodeConfig node = member.node();
        String error = reading.lastError();
        if (error == null && up && !reading.inRecovery()) {
            error = "writable on timeline " + reading.timeline() + ", not the primary: takes no reads nor writes";
        } else if (error == null && up && !follows) {
            error = "not known to follow the primary since it changed: takes no reads";
        }
        return new NodeState(member.name(), node.host(), node.port(), node.weight(), node.zone(), false,
                reading.health(), reading.lsn(), lagBytes, Duration.ofNanos(lagNanos), eligible, error,
                reading.since(), reading.sentNanos(), reading.shownLsn(), reading.version());
    }

    /** Whether member {@code index} is known to follow the acting primary (see the class). */
    private boolean verify(int index, Member member, boolean strays) {
        NodeProbe.Reading reading = member.reading();
        if (!unverified[index]) {
            if (!strays || switchBound == Lsn.INVALID || !reading.inRecovery() || reading.lsn() <= switchBound) {
                return true;
            }
            // past where the new primary began while an old one still takes writes: it may be replaying those
            unverified[index] = true;
            baseline[index] = Lsn.INVALID;
            LOGGER.warn("database={} node={} replays past where the primary changed while another node is writable:"
                    + " no reads until it is known to follow the primary", database, member.name());
        }
        if (reading.health() != Health.UP || !reading.inRecovery() || reading.lsn() == Lsn.INVALID) {
            return false;
        }
        boolean prefix = switchBound != Lsn.INVALID && reading.lsn() <= switchBound;
        boolean moved = baseline[index] != Lsn.INVALID && reading.lsn() > baseline[index] && !strays;
        if (baseline[index] == Lsn.INVALID) {
            baseline[index] = reading.lsn();
        }
        if (!prefix && !moved) {
            return false;
        }
        unverified[index] = false;
        LOGGER.info("database={} node={} follows the new primary ({}): takes reads again", database, member.name(),
                prefix ? "replayed no further than where it was promoted" : "replays past where it was");
        return true;
    }

    private void logStrays(List<Member> members, long newest) {
        for (int i = 0; i < members.size(); i++) {
            NodeProbe.Reading reading = members.get(i).reading();
            boolean stray = reading.writable() && reading.timeline() < newest;
            if (stray && !strayWritable[i]) {
                LOGGER.error("database={} node={} ({}) is writable on timeline {}, older than {}: it takes no reads"
                        + " nor writes (an old primary that came back without being rewound?)", database,
                        members.get(i).name(), members.get(i).node().address(), reading.timeline(), newest);
            }
            strayWritable[i] = stray;
        }
    }

    private void size(int members) {
        if (laggingBefore.length != members) {
            laggingBefore = new boolean[members];
            recoveryLsn = new long[members];
            Arrays.fill(recoveryLsn, Lsn.INVALID);
            unverified = new boolean[members];
            baseline = new long[members];
            Arrays.fill(baseline, Lsn.INVALID);
            strayWritable = new boolean[members];
        }
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
