package io.pgroute.proxy.routing;

import java.time.Duration;
import java.time.Instant;

/**
 * What the {@link NodeMonitor} last knew about one server. Immutable; part of a {@link ClusterState}.
 *
 * @param name {@code primary}, or {@code replica1}, {@code replica2}… in configuration order
 * @param host host name or address, from the configuration
 * @param port TCP port
 * @param weight share of reads relative to the others, at least 1
 * @param zone availability zone or rack; null when not configured
 * @param primary true for the primary
 * @param health whether the last query succeeded
 * @param replayLsn replicas: the last WAL position replayed ({@code pg_last_wal_replay_lsn()}); primary: the last
 *     sampled {@code pg_current_wal_lsn()} (WAL written); {@link Lsn#INVALID} when unknown
 * @param lagBytes replicas: WAL bytes the replica is behind the last primary sample, never negative; 0 on the primary
 * @param lagTime replicas: how long the oldest WAL the replica has not replayed has existed (the age of the first
 *     primary sample beyond {@code replayLsn}), zero when caught up; zero on the primary
 * @param eligible replicas: UP, in recovery and within {@code routing.max_lag} and {@code max_lag_bytes}; primary: UP
 * @param lastError the message of the failure that made the node DOWN; null while UP
 * @param since when the node last changed health
 * @param sampledNanos when the query that read {@code replayLsn} was sent ({@link System#nanoTime}): the node had
 *     replayed (primary: written) at least {@code replayLsn} at any time after it; 0 before the first sample
 * @param shownLsn at least as new as anything the node could have shown a session before {@code sampledNanos}: a
 *     replica's received WAL position when it streams (a commit becomes visible while its record is replayed, before
 *     {@code replayLsn} moves past it), {@link Lsn#INVALID} when there is no such bound; the primary's
 *     inserted WAL (an asynchronous commit is visible before it is written)
 * @param version the server's {@code server_version} (e.g. {@code 17.2}) as the monitor's last connection to it
 *     reported it; null before the monitor first reached it
 */
public record NodeState(String name, String host, int port, int weight, String zone, boolean primary, Health health,
        long replayLsn, long lagBytes, Duration lagTime, boolean eligible, String lastError, Instant since,
        long sampledNanos, long shownLsn, String version) {

    /** {@code name@host:port}, for logs. */
    @Override
    public String toString() {
        return name + "@" + host + ":" + port + "[" + health + (eligible ? ",eligible" : "") + ",lsn="
                + Lsn.format(replayLsn) + ",lag=" + lagBytes + "B/" + lagTime.toMillis() + "ms"
                + (lastError == null ? "" : ",error=" + lastError) + "]";
    }
}
