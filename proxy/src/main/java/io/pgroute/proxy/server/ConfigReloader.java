package io.pgroute.proxy.server;

import io.pgroute.config.CacheConfig;
import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.PeersConfig;
import io.pgroute.config.ProxyConfig;
import io.pgroute.config.RoutingConfig;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.cache.ResultCache;
import io.pgroute.proxy.logging.LogSetup;
import io.pgroute.proxy.routing.DatabaseRouting;
import io.pgroute.proxy.routing.NodeMonitor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * Online reload: applies a new, already validated proxy.yaml to the running proxy without dropping a client.
 * Users, limits and the pool mode apply to new connections; replicas, weights and routing settings through a new
 * node monitor per database that sessions pick up on their next decision; pool sizes and timeouts from the next
 * lease; cache rules from the next statement; log levels and format at once. What needs a restart (the listen
 * address, TLS, the metrics endpoint, databases added or removed, a database's primary or credentials, the Redis
 * endpoints, the catalog refresh interval, the instance id of {@code peers}) is reported and left as it was,
 * also in the configuration installed afterwards; the rest still applies.
 */
final class ConfigReloader {

    private static final Logger LOGGER = LoggerFactory.getLogger(ConfigReloader.class);

    /** What a reload did. */
    record Report(List<String> applied, List<String> needsRestart) {
        Report {
            applied = List.copyOf(applied);
            needsRestart = List.copyOf(needsRestart);
        }
    }

    private final ProxyContext context;
    private final Map<String, DatabaseRouting> routing;
    private final BackendPools pools;
    private final ResultCache cache;
    private final BiFunction<ProxyConfig, DatabaseConfig, NodeMonitor> monitors;
    private final java.util.function.Function<ProxyConfig, BackendPool.PoolSettings> poolSettings;

    ConfigReloader(ProxyContext context, Map<String, DatabaseRouting> routing, BackendPools pools, ResultCache cache,
                   BiFunction<ProxyConfig, DatabaseConfig, NodeMonitor> monitors,
                   java.util.function.Function<ProxyConfig, BackendPool.PoolSettings> poolSettings) {
        this.context = context;
        this.routing = routing;
        this.pools = pools;
        this.cache = cache;
        this.monitors = monitors;
        this.poolSettings = poolSettings;
    }

    /**
     * Applies {@code next} as far as it can be without a restart. The configuration installed afterwards is
     * {@code next} with the running values of every part that needs a restart, so that nothing reads a setting that
     * is reported as left as it was (a new session's backend, the TLS requirement, the cancel keys' instance id).
     */
    synchronized Report reload(ProxyConfig next) {
        ProxyConfig current = context.config();
        List<String> applied = new ArrayList<>();
        List<String> restart = new ArrayList<>();
        if (!current.listen().equals(next.listen())) {
            restart.add("listen");
        }
        if (!current.tls().equals(next.tls())) {
            restart.add("tls");
        }
        if (!current.metrics().equals(next.metrics())) {
            restart.add("metrics");
        }
        if (!current.databases().keySet().equals(next.databases().keySet())) {
            restart.add("databases added or removed");
        }
        // the catalog refresh interval is the catalog refresher's, set at start: it is not a change of routing here
        RoutingConfig nextRouting = next.routing().withCatalogRefresh(current.routing().catalogRefresh());
        Map<String, DatabaseConfig> databases = new LinkedHashMap<>();
        for (DatabaseConfig before : current.databases().values()) {
            DatabaseConfig each = next.databases().get(before.name());
            DatabaseRouting state = routing.get(before.name());
            if (each == null || state == null) {
                databases.put(before.name(), before);
                continue;
            }
            Map<String, Object> running = before.restartOnly();
            Map<String, Object> wanted = each.restartOnly();
            List<String> changed = running.keySet().stream()
                    .filter(key -> !Objects.equals(running.get(key), wanted.get(key))).toList();
            if (!changed.isEmpty()) {
                restart.add("databases." + each.name() + " " + String.join(", ", changed));  // no value: passwords
                databases.put(before.name(), before);
                continue;
            }
            databases.put(each.name(), each);
            if (!before.replicas().equals(each.replicas()) || !current.routing().equals(nextRouting)) {
                state.update(each, nextRouting, monitors.apply(next, each));
                applied.add("databases." + each.name() + ": " + each.replicas().size() + " replica(s), routing");
            }
            if (!Objects.equals(before.addresses(), each.addresses()) || before.maxClients() != each.maxClients()) {
                applied.add("databases." + each.name() + ": addresses, max_clients");  // read at each login
            }
        }
        if (!current.routing().catalogRefresh().equals(next.routing().catalogRefresh())) {
            restart.add("routing.catalog_refresh");
        }
        if (!current.pool().equals(next.pool())) {
            pools.updateSettings(poolSettings.apply(next));
            applied.add("pool");
        }
        CacheConfig cacheConfig = next.cache();
        if (!current.cache().equals(next.cache())) {
            if (cache != null && cache.update(next.cache())) {
                applied.add("cache rules");
            } else if (cache != null || next.cache().enabled()) {
                restart.add("cache (Redis endpoints, timeout, breaker, local_max_bytes or enabled)");
                cacheConfig = current.cache();
            }
        }
        PeersConfig peers = next.peers();
        if (current.peers().id() != next.peers().id()) {
            restart.add("peers.id");  // it is in the cancel keys already handed out
            peers = current.peers();
        } else if (!current.peers().equals(next.peers())) {
            applied.add("peers");
        }
        if (!current.logging().equals(next.logging())) {
            LogSetup.apply(next.logging());
            applied.add("logging");
        }
        if (!current.users().equals(next.users())) {
            applied.add("users");
        }
        if (!current.limits().equals(next.limits())) {
            applied.add("limits");
        }
        context.replaceConfig(new ProxyConfig(current.listen(), current.tls(), next.users(), databases, next.pool(),
                current.metrics(), next.logging(), next.limits(),
                nextRouting, cacheConfig, peers));
        LOGGER.info("configuration reloaded: applied {}; needs a restart: {}", applied.isEmpty() ? "nothing"
                : applied, restart.isEmpty() ? "nothing" : restart);
        return new Report(applied, restart);
    }
}
