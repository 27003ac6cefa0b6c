package io.pgroute.proxy.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.pgroute.config.ProxyConfig;
import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.PoolConfig;
import io.pgroute.proxy.cache.ResultCache;
import io.pgroute.proxy.metrics.MetricsBinder;
import io.pgroute.proxy.metrics.MetricsServer;
import io.pgroute.proxy.metrics.ProxyMetrics;
import io.pgroute.proxy.metrics.QueryRecorder;
import io.pgroute.proxy.stats.ProxyTotals;
import io.pgroute.proxy.stats.RouteStats;
import io.pgroute.proxy.routing.AuthQuery;
import io.pgroute.proxy.routing.CatalogRefresher;
import io.pgroute.proxy.routing.DatabaseRouting;
import io.pgroute.proxy.routing.NodeMonitor;
import io.pgroute.proxy.routing.Promoter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.pgroute.proxy.backend.BackendConnector;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.session.CancelRegistry;
import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.Classifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pgroute server: binds the listen address, accepts clients onto worker event loops (which also carry their
 * backend connections), and shuts down gracefully: stop accepting, let running requests finish up to the shutdown
 * timeout, then close everything.
 */
public final class PgrouteServer implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(PgrouteServer.class);

    private final ProxyConfig config;
    private final Transport transport;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final SessionRegistry sessions;
    private final BackendPools pools;
    private final Classifier classifier;
    private final Map<String, DatabaseRouting> routing;
    /** Catalog refreshers, one per database pgroute can log in to on its own (see {@link #startCatalogs}). */
    private final List<CatalogRefresher> catalogs;
    private final Map<String, AuthQuery> authQueries;
    /** The shared result cache; null when {@code cache.enabled} is false. */
    private final ResultCache resultCache;
    /** Meters, when {@code metrics:} is configured; served by {@link #metricsServer} once started. */
    private final ProxyMetrics metrics;
    /** Where statements went, by fingerprint, for SHOW ROUTES. */
    private final RouteStats routes;
    private final ConfigReloader reloader;
    private volatile java.nio.file.Path configSource;
    private final ProxyContext context;
    private static final int ROUTE_FINGERPRINTS = 5_000;
    private volatile MetricsServer metricsServer;
    private final ServerBootstrap bootstrap;
    /** How long a start waits for the node monitors' first round of probes. */
    private static final java.time.Duration FIRST_ROUND = java.time.Duration.ofSeconds(3);
    private final ClientChannelInitializer clients;
    private Channel serverChannel;
    /** The Unix-domain socket, when {@code listen.unix_socket_dir} is set and the server started. */
    private UnixSocketListener unixSocket;
    private boolean stopped;

    public PgrouteServer(ProxyConfig config) {
        this(config, config.listen().effectiveIoThreads());
    }

    public PgrouteServer(ProxyConfig config, int workerThreads) {
        this.config = config;
        this.transport = Transport.detect();
        this.boss = transport.newGroup(1, "pgroute-accept");
        this.workers = transport.newGroup(workerThreads, "pgroute-io");
        CancelRegistry cancelKeys = new CancelRegistry(config.peers().id());
        BackendConnector connector = new BackendConnector(transport, config.pool().connectTimeout());
        this.pools = new BackendPools(connector, poolSettings(config, workerThreads));
        // read at each transaction from the current configuration: a reload applies to the next one
        this.sessions = new SessionRegistry(cancelKeys, connector, this::currentConfig);
        this.classifier = new Classifier(new BuiltinFunctions(), 10_000);
        this.resultCache = config.cache().enabled() ? ResultCache.start(config.cache(), classifier, workers,
                workerThreads) : null;
        this.routing = startRouting(config, pools, resultCache);
        this.metrics = config.metrics().enabled() ? new ProxyMetrics() : null;
        this.routes = new RouteStats(ROUTE_FINGERPRINTS);
        if (metrics != null) {
            MetricsBinder.bind(metrics, routing, sessions, pools, resultCache);
        }
        this.catalogs = startCatalogs(config, classifier, resultCache, routing);
        this.authQueries = authQueries(config, routing);
        this.context = new ProxyContext(config, pools, classifier, routing, cancelKeys, sessions,
                ServerTls.build(config.tls()), ServerTls.serverEndPoint(config.tls()), new AtomicLong(),
                resultCache, new ProxyTotals(metrics == null ? routes : QueryRecorder.both(metrics, routes)),
                () -> stop(config.limits().shutdownTimeout()), routes, authQueries);
        this.reloader = new ConfigReloader(context, routing, pools, resultCache,
                (next, database) -> monitor(next, database, pools, resultCache, routing.get(database.name())),
                next -> poolSettings(next, workerThreads));
        this.clients = new ClientChannelInitializer(context);
        this.bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
                .childHandler(clients);
        transport.withConnectionOptions(bootstrap);
    }

    /**
     * A catalog refresher per database pgroute can log in to on its own: function volatility for the classifier
     * (one catalog for all databases: the last loaded wins) and, with the result cache on or with replicas, the
     * relations the cache and the read placement ({@code consistency: global}, also after a reload switched to it)
     * need to know about. A database without its own credentials has no catalog and caches nothing.
     */
    private static List<CatalogRefresher> startCatalogs(ProxyConfig config, Classifier classifier,
                                                        ResultCache cache, Map<String, DatabaseRouting> routing) {
        List<CatalogRefresher> result = new ArrayList<>();
        for (DatabaseConfig each : config.databases().values()) {
            if (!each.hasControlLogin()) {
                if (cache != null && cache.enabledFor(each.name())) {
                    LOGGER.warn("database {} has no user/password (or monitor_user/monitor_password) of its own: its "
                            + "catalog cannot be read, so nothing in it is cached", each.name());
                }
                continue;
            }
            boolean caches = cache != null && cache.enabledFor(each.name());
            // whatever the consistency: a reload may switch to global, which needs the tables from its first read
            DatabaseRouting reads = !each.replicas().isEmpty() ? routing.get(each.name()) : null;
            if (!result.isEmpty() && !caches && reads == null) {
                continue;
            }
            CatalogRefresher refresher = caches || reads != null
                    ? new CatalogRefresher(each, classifier, relations -> {
                        if (caches) {
                            cache.catalog(each.name(), relations);
                        }
                        if (reads != null) {
                            reads.relations(relations);
                        }
                    })
                    : new CatalogRefresher(each, classifier);
            if (caches) {
                cache.onReloadCatalog(each.name(), refresher::refreshNow);
            }
            if (reads != null) {
                reads.onReloadRelations(refresher::refreshNow);
                refresher.onRoleDefaults(reads::roleDefaults);
                refresher.readFrom(reads::primaryNode);
            }
            result.add(refresher.start(config.routing().catalogRefresh()));
        }
        return List.copyOf(result);
    }

    /** The {@code auth_query} lookup of each database that has one, run on the node that takes its writes. */
    private static Map<String, AuthQuery> authQueries(ProxyConfig config, Map<String, DatabaseRouting> routing) {
        Map<String, AuthQuery> result = new LinkedHashMap<>();
        for (DatabaseConfig each : config.databases().values()) {
            if (each.authQuery() != null) {
                DatabaseRouting reads = routing.get(each.name());
                result.put(each.name(), new AuthQuery(each, reads::primaryNode));
            }
        }
        return Map.copyOf(result);
    }

    /**
     * One node monitor per database with replicas, sampling with the database's backend role. Without a
     * configured role and password there is nothing to monitor with, and reads stay on the primary.
     */
    private static Map<String, DatabaseRouting> startRouting(ProxyConfig config, BackendPools pools,
                                                             ResultCache cache) {
        Map<String, DatabaseRouting> result = new LinkedHashMap<>();
        for (DatabaseConfig each : config.databases().values()) {
            result.put(each.name(), new DatabaseRouting(each, config.routing(), monitor(config, each, pools, cache,
                    null)));
        }
        return Map.copyOf(result);
    }

    /**
     * A started node monitor for {@code database}, or null when it has no replicas or no credentials to monitor. A
     * replica it takes down has its connections in {@code pools} closed ({@link DownReplicaCloser}); when another
     * node becomes the primary, the database's cached results are dropped ({@link FailoverCacheFlush}). A reload
     * passes the database's routing before it ({@code before}, else null): the new monitor starts from the primary
     * the old one found.
     */
    private static NodeMonitor monitor(ProxyConfig config, DatabaseConfig database, BackendPools pools,
                                       ResultCache cache, DatabaseRouting before) {
        if (database.replicas().isEmpty()) {
            return null;
        }
        if (!database.hasControlLogin()) {
            LOGGER.warn("database {} has replicas but no user/password (or monitor_user/monitor_password) for "
                    + "monitoring them: reads stay on the primary", database.name());
            return null;
        }
        NodeMonitor result = new NodeMonitor(database, config.routing(), database.controlUser(),
                database.controlPassword());
        if (before != null) {
            result.assumePrimary(before.primaryNode());
        }
        if (!config.routing().promoteAfter().isZero()) {
            String owner = ProcessHandle.current().pid() + "@" + config.listen().host() + ":" + config.listen().port();
            Promoter.Lock lock = cache == null ? null
                    : ttl -> cache.redis().tryLock(database.name(), "promotion", owner, ttl);
            result.attach(new Promoter(database, config.routing(), result, database.controlUser(),
                    database.controlPassword(), lock)
                    .start());
        }
        result.addListener(new DownReplicaCloser(database.name(), pools));
        if (cache != null && cache.enabledFor(database.name())) {
            result.addListener(new FailoverCacheFlush(database.name(), cache, result.state()));
        }
        return result.start();
    }

    /**
     * Online reload ({@code RELOAD}, SIGHUP): applies {@code next}, already validated, without dropping a client;
     * returns what was applied and what needs a restart (see {@link ConfigReloader}).
     */
    public ReloadReport reload(ProxyConfig next) {
        ConfigReloader.Report report = reloader.reload(next);
        if (metrics != null) {
            // meters for the nodes (and databases) the reload added; the others are registered already
            MetricsBinder.bind(metrics, routing, sessions, pools, resultCache);
        }
        return new ReloadReport(report.applied(), report.needsRestart());
    }

    /** Remembers the file the configuration came from, for {@link #reloadFromSource()}; returns this server. */
    public PgrouteServer configSource(java.nio.file.Path path) {
        this.configSource = path;
        context.onReload(this::reloadFromSource);
        return this;
    }

    /**
     * Reads the configuration file again and applies it ({@code RELOAD}, SIGHUP). A file with problems is rejected
     * as a whole (the exception lists them) and the running configuration stays.
     */
    public ReloadReport reloadFromSource() throws io.pgroute.config.ConfigException {
        java.nio.file.Path source = configSource;
        if (source == null) {
            throw new IllegalStateException("this server was not started from a configuration file");
        }
        return reload(io.pgroute.config.ConfigLoader.load(source));
    }

    /** What an online reload applied, and what it could not without a restart. */
    public record ReloadReport(java.util.List<String> applied, java.util.List<String> needsRestart) {
    }

    /** The configuration in force (a reload replaces it). */
    private ProxyConfig currentConfig() {
        return context.config();
    }

    /** Per-event-loop pool limits: {@code pool.size} per node, split evenly between the event loops. */
    private static BackendPool.PoolSettings poolSettings(ProxyConfig config, int loops) {
        PoolConfig pool = config.pool();
        int total = pool.size();
        int perLoop = Math.max(1, (total + loops - 1) / loops);
        return new BackendPool.PoolSettings(perLoop, pool.timeout(), pool.idleTimeout(), pool.maxLifetime());
    }

    /** Binds and starts accepting; returns once listening. */
    public PgrouteServer start() throws InterruptedException {
        if (!transport.unixSockets()) {  // refused at once, not at each client's first connection attempt
            for (DatabaseConfig each : config.databases().values()) {
                List<io.pgroute.config.NodeConfig> nodes = new ArrayList<>(each.replicas());
                nodes.add(each.primary());
                for (io.pgroute.config.NodeConfig node : nodes) {
                    if (node.socketDirectory()) {
                        throw new IllegalStateException("server " + node.address() + " is given as a socket "
                                + "directory, which needs the native epoll transport (Linux); this one is "
                                + transport.name());
                    }
                }
            }
        }
        // the first round of probes says which node takes writes: a client accepted before it could write to a
        // configured primary that another node has replaced (a failover while pgroute was not running)
        for (DatabaseRouting each : routing.values()) {
            NodeMonitor monitor = each.monitor();
            if (monitor != null && !monitor.awaitFirstRound(FIRST_ROUND)) {
                LOGGER.warn("database={} not every node answered or failed its first probe within {} ms: serving"
                        + " clients with the configured primary until they do", each.database().name(),
                        FIRST_ROUND.toMillis());
            }
        }
        InetSocketAddress address = new InetSocketAddress(config.listen().host(), config.listen().port());
        if (metrics != null) {
            try {
                metricsServer = MetricsServer.start(config.metrics().host(), config.metrics().port(), metrics,
                        this::health);
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot serve metrics on " + config.metrics().host() + ":"
                        + config.metrics().port() + ": " + e.getMessage(), e);
            }
        }
        try {
            serverChannel = bootstrap.bind(address).sync().channel();
            LOGGER.info("pgroute listening on {} ({} transport)", serverChannel.localAddress(), transport.name());
            if (config.listen().unixSocket().isPresent()) {
                unixSocket = UnixSocketListener.start(transport, boss, workers, clients, config.listen(), port());
            }
        } catch (Exception e) {  // Netty's bind failure is a checked exception it throws unchecked
            stop(Duration.ZERO);  // nothing was served: let go of the port, the event loops and the monitors
            throw e;
        }
        return this;
    }

    /** The Unix-domain socket pgroute listens on, when {@code listen.unix_socket_dir} is set. */
    public java.util.Optional<java.nio.file.Path> unixSocket() {
        UnixSocketListener listener = unixSocket;
        return listener == null ? java.util.Optional.empty() : java.util.Optional.of(listener.path());
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** The backend connection pools of every event loop and node. */
    public BackendPools pools() {
        return pools;
    }

    /** Where statements went, by fingerprint ({@code SHOW ROUTES}). */
    public RouteStats routes() {
        return routes;
    }

    /** The port of the metrics endpoint, when it is served. */
    public java.util.OptionalInt metricsPort() {
        MetricsServer server = metricsServer;
        return server == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(server.port());
    }

    /**
     * What {@code /health} says: healthy when every database's primary answers its node monitor (a database
     * without a monitor, i.e. without replicas, is reported as unmonitored and counts as healthy).
     */
    private MetricsServer.Health health() {
        StringBuilder text = new StringBuilder();
        boolean healthy = true;
        for (DatabaseRouting each : routing.values()) {
            NodeMonitor monitor = each.monitor();
            String state;
            if (monitor == null) {
                state = "unmonitored";
            } else {
                boolean up = monitor.state().primary().eligible();  // answers and is not in recovery
                healthy &= up;
                state = up ? "primary up" : "primary down";
            }
            text.append(each.database().name()).append(": ").append(state).append('\n');
        }
        return new MetricsServer.Health(healthy, text.toString());
    }

    /** The shared result cache, when {@code cache.enabled}. */
    public java.util.Optional<ResultCache> resultCache() {
        return java.util.Optional.ofNullable(resultCache);
    }

    /** The routing state of a configured database (node monitor, safety-net counters). */
    public DatabaseRouting routing(String database) {
        return routing.get(database);
    }

    public SessionRegistry sessions() {
        return sessions;
    }

    /** Graceful stop: no new clients, idle ones closed, busy ones closed when done or at the timeout. */
    public synchronized void stop(Duration timeout) {
        if (stopped) {
            return;
        }
        stopped = true;
        LOGGER.info("pgroute shutting down: {} clients, waiting up to {}s", sessions.size(), timeout.toSeconds());
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        if (unixSocket != null) {
            unixSocket.close();
        }
        sessions.requestShutdown();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (sessions.size() > 0 && System.nanoTime() < deadline) {
            sleep(50);
        }
        if (sessions.size() > 0) {
            LOGGER.warn("shutdown timeout: closing {} busy clients", sessions.size());
            sessions.forceShutdown();
            sleep(200);
        }
        pools.close(2_000);
        classifier.close();
        routing.values().forEach(DatabaseRouting::close);
        catalogs.forEach(CatalogRefresher::close);
        authQueries.values().forEach(AuthQuery::close);
        if (metricsServer != null) {
            metricsServer.close();
        }
        if (resultCache != null) {
            resultCache.closeAsync().orTimeout(3, TimeUnit.SECONDS).exceptionally(failure -> null).join();
        }
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        LOGGER.info("pgroute stopped");
    }

    @Override
    public void close() {
        stop(config.limits().shutdownTimeout());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
