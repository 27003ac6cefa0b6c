package io.pgroute.proxy.routing;

import java.util.List;

/**
 * An immutable snapshot of one database's servers, published by {@link NodeMonitor} and read lock-free by event
 * loops.
 *
 * @param primaryLsn the last sampled {@code pg_current_wal_lsn()} of the primary; {@link Lsn#INVALID} before the first
 * @param sampledAtNanos {@link System#nanoTime()} just before that sample was taken; 0 before the first
 * @param replicas the replicas in configuration order; index {@code i} is {@code replica<i+1>}
 * @param primary the primary
 */
public record ClusterState(long primaryLsn, long sampledAtNanos, List<NodeState> replicas, NodeState primary) {

    /** Copies the replica list. */
    public ClusterState {
        replicas = List.copyOf(replicas);
    }
}
