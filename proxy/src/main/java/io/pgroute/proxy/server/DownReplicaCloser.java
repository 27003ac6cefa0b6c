package io.pgroute.proxy.server;

import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.backend.BackendTarget;
import io.pgroute.proxy.routing.ClusterState;
import io.pgroute.proxy.routing.Health;
import io.pgroute.proxy.routing.NodeState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Closes pgroute's connections to a replica of one database when its node monitor takes the replica down: the
 * sessions waiting on a server that hangs or vanished stop waiting (an autocommit read that had sent nothing back
 * yet runs again on the primary; anything else ends as after a server crash, 08006), and no idle connection to it is
 * handed out again. The primary's connections are left alone: closing one could leave a client's commit in doubt.
 * A listener of {@code NodeMonitor}, called on a monitor thread; the pools close their connections on their loops.
 */
final class DownReplicaCloser implements Consumer<ClusterState> {

    private static final Logger LOGGER = LoggerFactory.getLogger(DownReplicaCloser.class);

    private final String database;
    private final BackendPools pools;
    /** Each replica's health in the previous state, by name: each node's monitor thread calls this listener. */
    private final Map<String, Health> previous = new ConcurrentHashMap<>();

    DownReplicaCloser(String database, BackendPools pools) {
        this.database = database;
        this.pools = pools;
    }

    @Override
    public void accept(ClusterState state) {
        for (NodeState replica : state.replicas()) {
            Health before = previous.put(replica.name(), replica.health());
            if (replica.health() == Health.DOWN && before != Health.DOWN) {
                int closing = 0;
                for (BackendPool pool : pools.all()) {
                    if (serves(pool.target(), replica)) {
                        closing += pool.open();
                        pool.closeConnections();
                    }
                }
                if (closing > 0) {
                    LOGGER.warn("database={} node={} is down: closing pgroute's {} connection(s) to it", database,
                            replica.name(), closing);
                }
            }
        }
    }

    /** Whether {@code target} is a connection of this database to {@code replica}'s server. */
    private boolean serves(BackendTarget target, NodeState replica) {
        return target.node().startsWith(database + "/") && target.host().equals(replica.host())
                && target.port() == replica.port();
    }
}
