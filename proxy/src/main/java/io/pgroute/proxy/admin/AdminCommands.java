package io.pgroute.proxy.admin;

import io.pgroute.config.ProxyConfig;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.cache.ResultCache;
import io.pgroute.proxy.routing.DatabaseRouting;
import io.pgroute.proxy.server.ProxyContext;
import io.pgroute.proxy.server.SessionRegistry;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.stats.ProxyTotals;
import io.pgroute.proxy.stats.RouteStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Runs admin console commands against the process-wide state (configuration, node monitors, pools, sessions,
 * result cache, statement classifier, totals). One per console connection, over shared state; never blocks: what
 * needs another thread completes later.
 */
public final class AdminCommands {

    private static final Logger LOGGER = LoggerFactory.getLogger(AdminCommands.class);
    /** SHOW ROUTES lists the fingerprints with the most calls, this many. */
    private static final int ROUTES_SHOWN = 200;

    private static final List<String[]> HELP = List.of(
            new String[] {"SHOW HELP", "this list"},
            new String[] {"SHOW VERSION", "pgroute's version"},
            new String[] {"SHOW CONFIG", "the effective configuration (secrets masked)"},
            new String[] {"SHOW NODES", "every database node: role, health, replay position, lag, pool usage"},
            new String[] {"SHOW POOLS", "backend connection pools per node: open, active, idle, waiting clients"},
            new String[] {"SHOW CLIENTS", "client sessions: user, database, address, state, backend node"},
            new String[] {"SHOW SERVERS", "backend connections held by client sessions"},
            new String[] {"SHOW CACHE", "result cache counters and Redis circuit breaker state"},
            new String[] {"SHOW CACHE TABLES", "per cached table: version, last write's WAL position, write in flight"},
            new String[] {"SHOW ROUTES", "per statement fingerprint: where it went and why, calls and times"},
            new String[] {"RESET ROUTES", "forget the statistics of SHOW ROUTES"},
            new String[] {"SHOW STATS", "request cycles by target, errors, uptime and queries per second since start"},
            new String[] {"SHOW ERRORS", "errors sent to clients since start, by SQLSTATE class"},
            new String[] {"EXPLAIN ROUTE [FOR <database>] <sql>",
                "where <sql> would go and why, whether it is cached and what it invalidates; not run"},
            new String[] {"CACHE INVALIDATE ALL", "drop every cached result of every database"},
            new String[] {"CACHE INVALIDATE <table>", "drop the cached results that read <table>"},
            new String[] {"KILL CLIENT <id>", "close a client session (57P01), see SHOW CLIENTS"},
            new String[] {"RELOAD", "re-read proxy.yaml; rows say what was applied and what needs a restart"},
            new String[] {"PAUSE [db]", "new statements of db (all databases) wait; open transactions finish"},
            new String[] {"RESUME [db]", "statements held by PAUSE run"},
            new String[] {"SHUTDOWN", "stop pgroute gracefully (limits.shutdown_timeout)"});

    private final ProxyConfig config;
    private final NodesReport nodes;
    private final SessionsReport sessions;
    private final CacheReport cache;
    private final ConfigReport configReport;
    private final Runnable shutdown;
    private final RouteStats routes;
    private final StatsReport stats;
    private final RouteExplainer explainer;
    private java.util.concurrent.Callable<io.pgroute.proxy.server.PgrouteServer.ReloadReport> reload;
    private SessionRegistry registry;

    public AdminCommands(ProxyConfig config, Map<String, DatabaseRouting> routing, BackendPools pools,
                         SessionRegistry sessions, ResultCache cache, Runnable shutdown) {
        this(config, routing, pools, sessions, cache, shutdown, new RouteStats(1));
    }

    public AdminCommands(ProxyConfig config, Map<String, DatabaseRouting> routing, BackendPools pools,
                         SessionRegistry sessions, ResultCache cache, Runnable shutdown, RouteStats routes) {
        this(config, routing, pools, sessions, cache, shutdown, routes, null, null, null);
    }

    /**
     * Commands that also answer SHOW STATS and SHOW ERRORS from {@code totals} (null: zeros) and EXPLAIN ROUTE with
     * {@code classifier} (null: EXPLAIN ROUTE fails with 55000), showing the cache keys of {@code role} (the
     * console's user).
     */
    public AdminCommands(ProxyConfig config, Map<String, DatabaseRouting> routing, BackendPools pools,
                         SessionRegistry sessions, ResultCache cache, Runnable shutdown, RouteStats routes,
                         ProxyTotals totals, Classifier classifier, String role) {
        this.config = config;
        this.routes = routes;
        this.nodes = new NodesReport(config, routing, pools);
        this.sessions = new SessionsReport(sessions);
        this.cache = new CacheReport(config, cache);
        this.configReport = new ConfigReport(config);
        this.shutdown = shutdown;
        this.stats = new StatsReport(totals);
        this.explainer = new RouteExplainer(config, classifier, routing, cache, role);
    }

    /** The commands over what a client pipeline gets to see, for a console opened by {@code role}. */
    public static AdminCommands of(ProxyContext context, String role) {
        AdminCommands result = new AdminCommands(context.config(), context.routing(), context.pools(),
                context.sessions(), context.resultCache(), context.shutdown(), context.routes(),
                ProxyTotals.in(context.recorder()), context.classifier(), role);
        result.reload = context.reload();
        result.registry = context.sessions();
        return result;
    }

    /** RELOAD: re-reads the configuration on its own thread; rows say what was applied and what was not. */
    private CompletableFuture<AdminResult> reload() {
        java.util.concurrent.Callable<io.pgroute.proxy.server.PgrouteServer.ReloadReport> run = reload;
        if (run == null) {
            throw new AdminException(AdminException.NOT_IN_PREREQUISITE_STATE,
                    "this pgroute was not started from a configuration file: nothing to reload");
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return run.call();
            } catch (io.pgroute.config.ConfigException e) {
                throw new AdminException("F0000", "configuration rejected, the running one stays: "
                        + e.getMessage());
            } catch (Exception e) {
                throw new AdminException("XX000", "reload failed: " + e.getMessage());
            }
        }).thenApply(report -> {
            AdminResult.Builder rows = reloadColumns();
            report.applied().forEach(each -> rows.row(each, "applied"));
            report.needsRestart().forEach(each -> rows.row(each, "needs a restart"));
            AdminResult built = rows.build();
            return new AdminResult(built.columns(), built.rows(), "RELOAD", null);
        });
    }

    private static AdminResult.Builder reloadColumns() {
        return new AdminResult.Builder().column("change", ColumnType.TEXT).column("status", ColumnType.TEXT);
    }

    /** PAUSE / RESUME of one database, or of every configured one. */
    private AdminResult pause(AdminCommand.Pause command) {
        if (command.database() != null && config.database(command.database()).isEmpty()) {
            throw new AdminException("3D000", "database \"" + command.database() + "\" does not exist");
        }
        java.util.Collection<String> databases = command.database() == null ? config.databases().keySet()
                : List.of(command.database());
        for (String each : databases) {
            if (command.pause()) {
                registry.pause(each);
            } else {
                registry.resume(each);
            }
        }
        LOGGER.info("admin: {} {}", command.pause() ? "pause" : "resume", databases);
        return AdminResult.command(command.pause() ? "PAUSE" : "RESUME");
    }

    /** pgroute's version, from the jar manifest ("dev" when run from classes), as {@code pgroute --version}. */
    static String version() {
        String result = AdminCommands.class.getPackage().getImplementationVersion();
        return result == null ? "dev" : result;
    }

    /** The columns {@code command} answers with, or empty when it answers no rows (Describe: NoData). */
    public Optional<List<AdminResult.Column>> columns(AdminCommand command) {
        if (command instanceof AdminCommand.ExplainRoute) {
            return Optional.of(RouteExplainer.columns().columns());
        }
        if (command instanceof AdminCommand.Reload) {
            return Optional.of(reloadColumns().columns());
        }
        if (!(command instanceof AdminCommand.Show show)) {
            return Optional.empty();
        }
        AdminResult.Builder result = switch (show.topic()) {
            case HELP -> helpColumns();
            case VERSION -> new AdminResult.Builder().column("version", ColumnType.TEXT);
            case CONFIG -> ConfigReport.columns();
            case NODES -> NodesReport.nodeColumns();
            case POOLS -> NodesReport.poolColumns();
            case CLIENTS -> SessionsReport.clientColumns();
            case SERVERS -> SessionsReport.serverColumns();
            case CACHE -> CacheReport.columns();
            case ROUTES -> routeColumns();
            case STATS -> StatsReport.statsColumns();
            case ERRORS -> StatsReport.errorColumns();
            case CACHE_TABLES -> CacheReport.tableColumns();
        };
        return Optional.of(result.columns());
    }

    private static AdminResult.Builder routeColumns() {
        return new AdminResult.Builder().column("database", ColumnType.TEXT).column("fingerprint", ColumnType.TEXT)
                .column("sample", ColumnType.TEXT).column("primary", ColumnType.INT8)
                .column("replica", ColumnType.INT8).column("cache", ColumnType.INT8)
                .column("last_reason", ColumnType.TEXT).column("calls", ColumnType.INT8)
                .column("total_ms", ColumnType.FLOAT8).column("mean_ms", ColumnType.FLOAT8)
                .column("p99_ms", ColumnType.FLOAT8);
    }

    private AdminResult routes() {
        AdminResult.Builder result = routeColumns();
        for (RouteStats.Row each : routes.top(ROUTES_SHOWN)) {
            result.row(each.database(), each.fingerprint(), each.sample(), each.primary(), each.replica(),
                    each.cache(), each.lastReason(), each.calls(), round(each.totalMillis()),
                    round(each.meanMillis()), round(each.p99Millis()));
        }
        return result.build();
    }

    private static double round(double millis) {
        return Math.round(millis * 1000) / 1000.0;
    }

    private static AdminResult.Builder helpColumns() {
        return new AdminResult.Builder().column("command", ColumnType.TEXT).column("description", ColumnType.TEXT);
    }

    /** Runs {@code command}; fails with an {@link AdminException} for errors the client should see. */
    public CompletableFuture<AdminResult> run(AdminCommand command) {
        if (command instanceof AdminCommand.Show show) {
            return show(show.topic());
        }
        if (command instanceof AdminCommand.ExplainRoute explain) {
            return explainer.explain(explain);
        }
        if (command instanceof AdminCommand.InvalidateCache invalidate) {
            LOGGER.info("admin: cache invalidate {}", invalidate.all() ? "all" : invalidate.table());
            return cache.invalidate(invalidate.table());
        }
        if (command instanceof AdminCommand.KillClient kill) {
            LOGGER.info("admin: kill client session={}", kill.id());
            return CompletableFuture.completedFuture(sessions.kill(kill.id()));
        }
        if (command instanceof AdminCommand.Reload) {
            LOGGER.info("admin: reload");
            return reload();
        }
        if (command instanceof AdminCommand.Pause pause) {
            return CompletableFuture.completedFuture(pause(pause));
        }
        if (command instanceof AdminCommand.ResetRoutes) {
            LOGGER.info("admin: reset routes");
            routes.reset();
            return CompletableFuture.completedFuture(AdminResult.command("RESET"));
        }
        if (command instanceof AdminCommand.Shutdown) {
            LOGGER.info("admin: shutdown requested");
            Runnable stop = () -> new Thread(shutdown, "pgroute-admin-shutdown").start();
            return CompletableFuture.completedFuture(new AdminResult(List.of(), List.of(), "SHUTDOWN", stop));
        }
        if (command instanceof AdminCommand.Set) {
            return CompletableFuture.completedFuture(AdminResult.command("SET"));
        }
        if (command instanceof AdminCommand.Transaction transaction) {
            return CompletableFuture.completedFuture(AdminResult.command(transaction.tag()));
        }
        throw new IllegalArgumentException("not a command that runs: " + command);
    }

    private CompletableFuture<AdminResult> show(AdminCommand.Topic topic) {
        return switch (topic) {
            case HELP -> {
                AdminResult.Builder result = helpColumns();
                HELP.forEach(each -> result.row((Object[]) each));
                yield CompletableFuture.completedFuture(result.build());
            }
            case VERSION -> CompletableFuture.completedFuture(new AdminResult.Builder()
                    .column("version", ColumnType.TEXT).row("pgroute " + version()).build());
            case CONFIG -> CompletableFuture.completedFuture(configReport.show());
            case NODES -> CompletableFuture.completedFuture(nodes.nodes());
            case POOLS -> CompletableFuture.completedFuture(nodes.pools());
            case CLIENTS -> sessions.clients();
            case SERVERS -> sessions.servers();
            case CACHE -> CompletableFuture.completedFuture(cache.show());
            case ROUTES -> CompletableFuture.completedFuture(routes());
            case STATS -> CompletableFuture.completedFuture(stats.stats());
            case ERRORS -> CompletableFuture.completedFuture(stats.errors());
            case CACHE_TABLES -> cache.tables();
        };
    }

    ProxyConfig config() {
        return config;
    }
}
