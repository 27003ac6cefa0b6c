package io.pgroute.proxy.routing;

import java.util.List;

/**
 * An immutable snapshot of one database's servers, published by {@link NodeMonitor} and read lock-free by event
 * loops.
 *
 * @param primaryLsn the last sampled {@code pg_current_wal_lsn()} of the primary (WAL written); {@link Lsn#INVALID}
 *     before the first
 * @param sampledAtNanos {@link System#nanoTime()} just before that sample was taken; 0 before the first
 * @param replicas every configured node but the primary, in configuration order (the configured primary first, when
 *     another node took its place); a replica's index is its place in this list
 * @param primary the node that takes writes: the configured primary, or the node found writable on a newer timeline
 *     ({@code routing.discover_primary}); its name says which
 */
public record ClusterState(long primaryLsn, long sampledAtNanos, List<NodeState> replicas, NodeState primary) {

    /** Copies the replica list. */
    public ClusterState {
        replicas = List.copyOf(replicas);
    }

    /** The node of that name ({@code primary}, {@code replica1}…, as configured), whatever its role now; else null. */
    public NodeState node(String name) {
        if (primary.name().equals(name)) {
            return primary;
        }
        for (NodeState each : replicas) {
            if (each.name().equals(name)) {
                return each;
            }
        }
        return null;
    }
}
