package io.pgroute.proxy.metrics;

import io.pgroute.config.DatabaseConfig;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.cache.CacheStats;
import io.pgroute.proxy.cache.CircuitBreaker;
import io.pgroute.proxy.cache.ResultCache;
import io.pgroute.proxy.routing.DatabaseRouting;
import io.pgroute.proxy.routing.Health;
import io.pgroute.proxy.routing.NodeMonitor;
import io.pgroute.proxy.routing.NodeState;
import io.pgroute.proxy.server.SessionRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Registers the meters that are read from the proxy's state when scraped: client and server connections, pool
 * waits, pinned sessions, node health and replica lag (from the node monitors), and the result cache's counters.
 */
public final class MetricsBinder {

    private MetricsBinder() {
    }

    /**
     * Binds everything for the configured {@code databases}; {@code cache} may be null. Called at start and after each
     * reload: every registration is idempotent.
     */
    public static void bind(ProxyMetrics metrics, Map<String, DatabaseRouting> routing, SessionRegistry sessions,
                            BackendPools pools, ResultCache cache) {
        metrics.gauge("pgroute.pinned.sessions", "client sessions pinned to one server connection now",
                () -> sessions.snapshot().stream().filter(each -> each.pinnedBecause().isPresent()).count());
        java.util.Set<String> live = new java.util.HashSet<>();
        for (DatabaseRouting each : routing.values()) {
            DatabaseConfig database = each.database();
            String name = database.name();
            metrics.gauge("pgroute.client.connections", "client connections", () -> sessions.snapshot().stream()
                    .filter(session -> session.info().database().equals(name)).count(), "database", name);
            List<String> nodes = new ArrayList<>();
            nodes.add(name + "/primary");
            for (int i = 1; i <= database.replicas().size(); i++) {
                nodes.add(name + "/replica" + i);
            }
            live.addAll(nodes);
            for (String node : nodes) {
                metrics.gauge("pgroute.server.connections", "server connections", () -> sum(pools, node,
                        pool -> pool.open() - pool.idle()), "node", node, "state", "active");
                metrics.gauge("pgroute.server.connections", "server connections", () -> sum(pools, node,
                        BackendPool::idle), "node", node, "state", "idle");
                metrics.counter("pgroute.pool.waits", "leases that waited for a free server connection",
                        () -> sum(pools, node, pool -> pool.waits()), "node", node);
            }
            metrics.counter("pgroute.stale.plans", "Binds a server answered 0A000 (cached plan must not change result"
                    + " type): the statement is prepared again", each::stalePlans, "database", name);
            NodeMonitor monitor = each.monitor();
            if (monitor != null) {
                bindNodes(metrics, name, each);
            }
        }
        if (cache != null) {
            bindCache(metrics, cache);
        }
        // the meters of nodes a reload removed: by full name ("app/replica2"), or by database and node
        metrics.remove(id -> {
            String node = id.getTag("node");
            String database = id.getTag("database");
            return node != null && !live.contains(database == null ? node : database + "/" + node);
        });
    }

    /**
     * The node meters of a database: each reads the database's current monitor (a reload replaces it), by the node's
     * configured name (its role may change). Bound again after each reload, which adds the meters of nodes it added
     * (registering an existing meter again changes nothing).
     */
    private static void bindNodes(ProxyMetrics metrics, String database, DatabaseRouting routing) {
        metrics.counter("pgroute.primary.changes", "times another configured node became the primary (a failover"
                + " followed)", routing::primaryChanges, "database", database);
        List<String> nodes = new java.util.ArrayList<>();
        nodes.add("primary");
        for (int i = 1; i <= routing.database().replicas().size(); i++) {
            nodes.add("replica" + i);
        }
        Function<String, NodeState> current = node -> {
            NodeMonitor monitor = routing.monitor();
            return monitor == null ? null : monitor.state().node(node);
        };
        for (String node : nodes) {
            metrics.gauge("pgroute.node.up", "1 when the node answers the monitor",
                    () -> up(current.apply(node)), "database", database, "node", node);
            metrics.gauge("pgroute.node.primary", "1 on the node that takes writes", () -> {
                NodeState state = current.apply(node);
                return state != null && state.primary() ? 1 : 0;
            }, "database", database, "node", node);
            metrics.gauge("pgroute.replica.lag.bytes", "WAL bytes the replica is behind the primary", () -> {
                NodeState state = current.apply(node);
                return state == null || state.primary() ? Double.NaN : state.lagBytes();
            }, "database", database, "node", node);
            metrics.gauge("pgroute.replica.lag.seconds", "age of the oldest WAL the replica has not replayed", () -> {
                NodeState state = current.apply(node);
                return state == null || state.primary() ? Double.NaN : state.lagTime().toNanos() / 1e9;
            }, "database", database, "node", node);
        }
    }

    private static double up(NodeState state) {
        return state != null && state.health() == Health.UP ? 1 : 0;
    }

    private static void bindCache(ProxyMetrics metrics, ResultCache cache) {
        cacheCounter(metrics, cache, "pgroute.cache.hits", "lookups answered from Redis", CacheStats::hits);
        cacheCounter(metrics, cache, "pgroute.cache.local.hits",
                "lookups answered from this instance's local cache (also counted in hits)", CacheStats::localHits);
        cacheCounter(metrics, cache, "pgroute.cache.local.lease.waits", "local cache lookups that waited for a "
                + "PONG from Redis first, the lease of the previous one having run out", CacheStats::leaseWaits);
        cacheCounter(metrics, cache, "pgroute.cache.misses", "lookups not answered from Redis", CacheStats::misses);
        cacheCounter(metrics, cache, "pgroute.cache.stores", "answers written to Redis", CacheStats::stores);
        cacheCounter(metrics, cache, "pgroute.cache.invalidations", "table and database invalidations sent",
                CacheStats::bumps);
        cacheCounter(metrics, cache, "pgroute.cache.errors", "Redis calls that failed, timed out or were refused",
                CacheStats::errors);
        cacheCounter(metrics, cache, "pgroute.cache.hit.bytes", "bytes answered from Redis", CacheStats::hitBytes);
        cacheCounter(metrics, cache, "pgroute.cache.stored.bytes", "bytes written to Redis",
                CacheStats::storedBytes);
        metrics.gauge("pgroute.cache.circuit.open", "1 while the circuit breaker keeps Redis calls off",
                () -> cache.redis().state() == CircuitBreaker.State.OPEN ? 1 : 0);
    }

    private static void cacheCounter(ProxyMetrics metrics, ResultCache cache, String name, String description,
                                     ToDoubleFunction<CacheStats> value) {
        metrics.counter(name, description, () -> value.applyAsDouble(cache.stats()));
    }

    private static double sum(BackendPools pools, String node, ToDoubleFunction<BackendPool> value) {
        double result = 0;
        for (BackendPool each : pools.all()) {
            if (each.target().node().equals(node)) {
                result += value.applyAsDouble(each);
            }
        }
        return result;
    }
}
