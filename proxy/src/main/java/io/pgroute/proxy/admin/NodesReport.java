package io.pgroute.proxy.admin;

import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.NodeConfig;
import io.pgroute.config.ProxyConfig;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.routing.ClusterState;
import io.pgroute.proxy.routing.DatabaseRouting;
import io.pgroute.proxy.routing.Health;
import io.pgroute.proxy.routing.Lsn;
import io.pgroute.proxy.routing.NodeMonitor;
import io.pgroute.proxy.routing.NodeState;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code SHOW NODES} (what the node monitors last saw, plus pool usage) and {@code SHOW POOLS} (backend pools
 * summed over event loops), one row per configured node. Pool counts are read off their event loops, so they may
 * be a moment old.
 */
final class NodesReport {

    private final ProxyConfig config;
    private final Map<String, DatabaseRouting> routing;
    private final BackendPools pools;

    NodesReport(ProxyConfig config, Map<String, DatabaseRouting> routing, BackendPools pools) {
        this.config = config;
        this.routing = routing;
        this.pools = pools;
    }

    static AdminResult.Builder nodeColumns() {
        return new AdminResult.Builder().column("database", ColumnType.TEXT).column("node", ColumnType.TEXT)
                .column("role", ColumnType.TEXT).column("host", ColumnType.TEXT).column("port", ColumnType.INT4)
                .column("state", ColumnType.TEXT).column("replay_lsn", ColumnType.TEXT)
                .column("lag_bytes", ColumnType.INT8).column("lag_seconds", ColumnType.FLOAT8)
                .column("zone", ColumnType.TEXT).column("weight", ColumnType.INT4).column("active", ColumnType.INT4)
                .column("idle", ColumnType.INT4).column("last_error", ColumnType.TEXT)
                .column("version", ColumnType.TEXT);
    }

    static AdminResult.Builder poolColumns() {
        return new AdminResult.Builder().column("database", ColumnType.TEXT).column("node", ColumnType.TEXT)
                .column("open", ColumnType.INT4).column("active", ColumnType.INT4).column("idle", ColumnType.INT4)
                .column("waiting", ColumnType.INT4).column("waits_total", ColumnType.INT8)
                .column("max_size", ColumnType.INT4);
    }

    AdminResult nodes() {
        Map<String, Usage> usage = usage();
        AdminResult.Builder result = nodeColumns();
        for (DatabaseConfig db : config.databases().values()) {
            DatabaseRouting dbRouting = routing.get(db.name());
            NodeMonitor monitor = dbRouting == null ? null : dbRouting.monitor();
            if (monitor == null) {
                NodeConfig primary = db.primary();
                Usage used = usage.getOrDefault(db.name() + "/primary", Usage.NONE);
                result.row(db.name(), "primary", "primary", primary.host(), primary.port(), "unmonitored", null, null,
                        null, primary.zone(), primary.weight(), used.active(), used.idle(), null, null);
                continue;
            }
            ClusterState state = monitor.state();
            nodeRow(result, db.name(), state.primary(), usage);
            for (NodeState each : state.replicas()) {
                nodeRow(result, db.name(), each, usage);
            }
        }
        return result.build();
    }

    private static void nodeRow(AdminResult.Builder result, String database, NodeState node, Map<String, Usage> usage) {
        Usage used = usage.getOrDefault(database + "/" + node.name(), Usage.NONE);
        String state;
        if (node.health() != Health.UP) {
            state = "down";
        } else if (node.eligible()) {
            state = "up";
        } else if (node.primary()) {
            state = "read-only";  // in recovery, and no other node is writable
        } else {
            // ClusterStates explains every other exclusion (writable but not the primary, not known to follow it)
            state = node.lastError() == null ? "excluded-for-lag" : "excluded";
        }
        String lsn = node.replayLsn() == Lsn.INVALID ? null : Lsn.format(node.replayLsn());
        double lagSeconds = node.lagTime().toMillis() / 1000.0;
        result.row(database, node.name(), node.primary() ? "primary" : "replica", node.host(), node.port(), state, lsn,
                node.lagBytes(), lagSeconds, node.zone(), node.weight(), used.active(), used.idle(), node.lastError(),
                node.version());
    }

    AdminResult pools() {
        Map<String, Usage> usage = usage();
        AdminResult.Builder result = poolColumns();
        int maxSize = config.pool().size();
        for (DatabaseConfig db : config.databases().values()) {
            List<String> nodes = new java.util.ArrayList<>();
            nodes.add("primary");
            for (int i = 1; i <= db.replicas().size(); i++) {
                nodes.add("replica" + i);
            }
            for (String each : nodes) {
                Usage used = usage.remove(db.name() + "/" + each);
                used = used == null ? Usage.NONE : used;
                result.row(db.name(), each, used.open(), used.active(), used.idle(), used.waiting(), used.waits(),
                        maxSize);
            }
        }
        usage.forEach((node, used) -> {
            int slash = node.indexOf('/');
            result.row(slash < 0 ? node : node.substring(0, slash), slash < 0 ? "" : node.substring(slash + 1),
                    used.open(), used.active(), used.idle(), used.waiting(), used.waits(), maxSize);
        });
        return result.build();
    }

    /** Pool counters summed per node ({@code db/node}) over event loops, roles and startup parameters. */
    private Map<String, Usage> usage() {
        Map<String, Usage> result = new LinkedHashMap<>();
        for (BackendPool each : pools.all()) {
            Usage one = new Usage(each.open(), each.idle(), each.waiting(), each.waits());
            result.merge(each.target().node(), one, Usage::plus);
        }
        return result;
    }

    /** Pool counters of one node. */
    private record Usage(int open, int idle, int waiting, long waits) {

        static final Usage NONE = new Usage(0, 0, 0, 0);

        int active() {
            return Math.max(0, open - idle);
        }

        Usage plus(Usage other) {
            return new Usage(open + other.open, idle + other.idle, waiting + other.waiting, waits + other.waits);
        }
    }
}
