package io.pgroute.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole of {@code proxy.yaml}, validated and immutable. Obtained from {@link ConfigLoader}; tests may build one
 * with {@link #of(ListenConfig, Map, Map)}. Maps keep the order of the file.
 *
 * @param listen where clients connect
 * @param tls TLS towards clients
 * @param users client users by name, at least one
 * @param databases databases by the name clients use, at least one
 * @param pool backend connection pools
 * @param metrics Prometheus endpoint
 * @param logging log format and levels
 * @param limits resource limits
 * @param routing read/write splitting and replica choice
 * @param cache the Redis result cache
 * @param peers other pgroute instances behind the same load balancer, for cancels
 */
public record ProxyConfig(ListenConfig listen, TlsConfig tls, Map<String, UserConfig> users,
        Map<String, DatabaseConfig> databases, PoolConfig pool, MetricsConfig metrics, LoggingConfig logging,
        LimitsConfig limits, RoutingConfig routing, CacheConfig cache, PeersConfig peers) {

    /** Checks that every section is present and copies the maps, keeping their order. */
    public ProxyConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(logging, "logging");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(routing, "routing");
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(peers, "peers");
        users = Collections.unmodifiableMap(new LinkedHashMap<>(users));
        databases = Collections.unmodifiableMap(new LinkedHashMap<>(databases));
    }

    /** A configuration without peers. */
    public ProxyConfig(ListenConfig listen, TlsConfig tls, Map<String, UserConfig> users,
            Map<String, DatabaseConfig> databases, PoolConfig pool, MetricsConfig metrics, LoggingConfig logging,
            LimitsConfig limits, RoutingConfig routing, CacheConfig cache) {
        this(listen, tls, users, databases, pool, metrics, logging, limits, routing, cache, PeersConfig.none());
    }

    /** A configuration with the {@link CacheConfig#disabled() cache disabled}. */
    public ProxyConfig(ListenConfig listen, TlsConfig tls, Map<String, UserConfig> users,
            Map<String, DatabaseConfig> databases, PoolConfig pool, MetricsConfig metrics, LoggingConfig logging,
            LimitsConfig limits, RoutingConfig routing) {
        this(listen, tls, users, databases, pool, metrics, logging, limits, routing, CacheConfig.disabled());
    }

    /** A configuration with {@link RoutingConfig#defaults() default routing} and the cache disabled. */
    public ProxyConfig(ListenConfig listen, TlsConfig tls, Map<String, UserConfig> users,
            Map<String, DatabaseConfig> databases, PoolConfig pool, MetricsConfig metrics, LoggingConfig logging,
            LimitsConfig limits) {
        this(listen, tls, users, databases, pool, metrics, logging, limits, RoutingConfig.defaults());
    }

    /** A configuration with the given listener, users and databases and defaults for everything else. */
    public static ProxyConfig of(ListenConfig listen, Map<String, UserConfig> users,
            Map<String, DatabaseConfig> databases) {
        return new ProxyConfig(listen, TlsConfig.disabled(), users, databases, PoolConfig.defaults(),
                MetricsConfig.disabled(), LoggingConfig.defaults(), LimitsConfig.defaults(), RoutingConfig.defaults(),
                CacheConfig.disabled(), PeersConfig.none());
    }

    /** The user clients log in as {@code name}, if configured. */
    public Optional<UserConfig> user(String name) {
        return Optional.ofNullable(users.get(name));
    }

    /** The database clients ask for as {@code name}, if configured. */
    public Optional<DatabaseConfig> database(String name) {
        return Optional.ofNullable(databases.get(name));
    }

    static ProxyConfig read(MappingReader root, Path baseDir) {
        ListenConfig listen = root.mapping("listen").map(ListenConfig::read).orElseGet(ListenConfig::defaults);
        TlsConfig tls = root.mapping("tls").map(each -> TlsConfig.read(each, baseDir)).orElseGet(TlsConfig::disabled);
        Map<String, UserConfig> users = new LinkedHashMap<>();
        named(root, "users", "user").forEach((name, reader) -> users.put(name, UserConfig.read(name, reader)));
        Map<String, DatabaseConfig> databases = new LinkedHashMap<>();
        named(root, "databases", "database")
                .forEach((name, reader) -> databases.put(name, DatabaseConfig.read(name, reader, baseDir)));
        PoolConfig pool = root.mapping("pool").map(PoolConfig::read).orElseGet(PoolConfig::defaults);
        MetricsConfig metrics = root.mapping("metrics").map(MetricsConfig::read).orElseGet(MetricsConfig::disabled);
        LoggingConfig logging = root.mapping("logging").map(LoggingConfig::read).orElseGet(LoggingConfig::defaults);
        LimitsConfig limits = root.mapping("limits").map(LimitsConfig::read).orElseGet(LimitsConfig::defaults);
        RoutingConfig routing = root.mapping("routing").map(RoutingConfig::read).orElseGet(RoutingConfig::defaults);
        CacheConfig cache = root.mapping("cache").map(each -> CacheConfig.read(each, databases.keySet()))
                .orElseGet(CacheConfig::disabled);
        PeersConfig peers = root.mapping("peers").map(PeersConfig::read).orElseGet(PeersConfig::none);
        List<String> certUsers = users.values().stream().filter(each -> each.auth() == AuthMethod.CERT)
                .map(UserConfig::name).toList();
        if (!certUsers.isEmpty() && tls.mode() == TlsMode.DISABLE) {
            root.problem("users", "auth cert (" + String.join(", ", certUsers) + ") needs TLS: a tls.mode other than "
                    + "disable, with tls.client_ca");
        } else if (!certUsers.isEmpty() && tls.clientCaFile() == null) {
            root.problem("users", "auth cert (" + String.join(", ", certUsers) + ") needs tls.client_ca: the CAs "
                    + "whose client certificates pgroute accepts");
        }
        root.finish();
        return new ProxyConfig(listen, tls, users, databases, pool, metrics, logging, limits, routing, cache, peers);
    }

    /** The entries of a mapping of names to sections, which must hold at least one entry. */
    private static Map<String, MappingReader> named(MappingReader root, String key, String noun) {
        Map<String, MappingReader> result = new LinkedHashMap<>();
        if (!root.has(key)) {
            root.problem(key, "at least one " + noun + " is required");
            return result;
        }
        MappingReader section = root.mapping(key).orElse(null);
        if (section == null) {
            return result;
        }
        if (section.entries().isEmpty()) {
            root.problem(key, "at least one " + noun + " is required");
        }
        section.entries().forEach((name, node) -> {
            String path = section.childPath(name);
            if (name.isBlank()) {
                root.problems().add(path, node.line(), noun + " name must not be empty");
            }
            MappingReader.ofRequired(path, node, root.problems()).ifPresent(each -> result.put(name, each));
        });
        return result;
    }
}
