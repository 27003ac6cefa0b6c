package io.pgroute.proxy.admin;

import io.pgroute.config.PoolMode;
import io.pgroute.config.ProxyConfig;
import io.pgroute.protocol.SqlState;
import io.pgroute.proxy.cache.CacheKey;
import io.pgroute.proxy.cache.ResultCache;
import io.pgroute.proxy.routing.DatabaseRouting;
import io.pgroute.proxy.routing.NodeState;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.Hint;
import io.pgroute.proxy.sql.SqlScanner;
import io.pgroute.proxy.sql.StatementInfo;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * {@code EXPLAIN ROUTE}: where a statement would go from a fresh autocommit session of a database opened by the
 * console's user, and why, without running it. Uses the shared classifier, the node monitor's last view of the
 * replicas and the result cache's plan and invalidation, as a client session does; it cannot know what a real
 * session adds (its transaction, pinning, read-your-writes after its own writes, a statement refused by a replica
 * only once it runs).
 */
final class RouteExplainer {

    static final String PRIMARY = "primary";
    static final String REPLICA = "replica";
    static final String CACHE_OR_REPLICA = "cache or replica";
    static final String CACHE_OR_PRIMARY = "cache or primary";

    private final ProxyConfig config;
    private final Classifier classifier;
    private final Map<String, DatabaseRouting> routing;
    private final ResultCache cache;
    private final String role;

    /** {@code cache} is null when the cache is off; {@code role} is whose cache key is shown. */
    RouteExplainer(ProxyConfig config, Classifier classifier, Map<String, DatabaseRouting> routing, ResultCache cache,
                   String role) {
        this.config = config;
        this.classifier = classifier;
        this.routing = routing;
        this.cache = cache;
        this.role = role;
    }

    static AdminResult.Builder columns() {
        return new AdminResult.Builder().column("database", ColumnType.TEXT).column("kind", ColumnType.TEXT)
                .column("read_only", ColumnType.BOOL).column("target", ColumnType.TEXT)
                .column("reason", ColumnType.TEXT).column("tables_read", ColumnType.TEXT)
                .column("tables_written", ColumnType.TEXT).column("functions", ColumnType.TEXT)
                .column("cacheable", ColumnType.BOOL).column("cache_ttl_seconds", ColumnType.INT8)
                .column("cache_key", ColumnType.TEXT).column("invalidates", ColumnType.TEXT);
    }

    /**
     * The answer to {@code EXPLAIN ROUTE}, worked out on the classifier's threads: the statement may be one JSqlParser
     * takes long on, and the admin console shares its event loop with clients.
     */
    CompletableFuture<AdminResult> explain(AdminCommand.ExplainRoute command) {
        if (classifier == null) {
            throw new AdminException(AdminException.NOT_IN_PREREQUISITE_STATE, "no statement classifier available");
        }
        String database = database(command.database());
        return classifier.classifyElsewhere(command::sql).thenApply(made -> explain(command, database, made.info()));
    }

    private AdminResult explain(AdminCommand.ExplainRoute command, String database, StatementInfo info) {
        DatabaseRouting databaseRouting = routing.get(database);
        Optional<ResultCache.ReadPlan> plan = cache == null ? Optional.empty() : cache.plan(database, info);
        boolean cacheable = plan.isPresent() && !isKnownWrite(databaseRouting, command.sql());
        Placement placement = place(info, databaseRouting, command.sql());
        String target = !cacheable ? placement.target()
                : placement.target().equals(REPLICA) ? CACHE_OR_REPLICA : CACHE_OR_PRIMARY;
        Long ttl = cacheable ? plan.get().ttl().toSeconds() : null;
        String key = cacheable && role != null ? CacheKey.builder(database, role).sql(command.sql()).build().hex()
                : null;
        return columns().row(database, info.kind().name(), info.readOnly(), target, placement.reason(),
                joined(info.tablesRead()), joined(info.tablesWritten()), joined(info.functions()), cacheable, ttl, key,
                invalidates(database, info)).build();
    }

    /** Where the first statement of a fresh autocommit session goes, as the session's read placement decides. */
    private Placement place(StatementInfo info, DatabaseRouting databaseRouting, String sql) {
        if (info.hint() == Hint.PRIMARY) {
            return new Placement(PRIMARY, "hint primary");
        }
        if (isKnownWrite(databaseRouting, sql)) {
            return new Placement(PRIMARY, "refused by a replica before (write safety net)");
        }
        if (!info.readOnly() && info.hint() != Hint.REPLICA) {
            return new Placement(PRIMARY, info.reason());
        }
        String why = info.readOnly() ? info.reason() : "hint replica (" + info.reason() + ")";
        if (config.pool().mode() != PoolMode.TRANSACTION) {
            return new Placement(PRIMARY, why + "; session mode: every statement on the primary");
        }
        if (databaseRouting == null || !databaseRouting.hasReplicas()) {
            return new Placement(PRIMARY, why + "; no replicas");
        }
        boolean eligible = databaseRouting.monitor().state().replicas().stream().anyMatch(NodeState::eligible);
        return eligible ? new Placement(REPLICA, why) : new Placement(PRIMARY, why + "; no replica eligible");
    }

    private record Placement(String target, String reason) {
    }

    private static boolean isKnownWrite(DatabaseRouting databaseRouting, String sql) {
        return databaseRouting != null && databaseRouting.hasKnownWrites()
                && databaseRouting.isKnownWrite(SqlScanner.fingerprint(sql));
    }

    /**
     * {@code *} for everything, else the version keys a write bumps; empty for reads. DDL is answered without
     * asking the cache, which would reload the relation catalog as if the DDL had run.
     */
    private String invalidates(String database, StatementInfo info) {
        if (cache == null || info.readOnly()) {
            return "";
        }
        if (isDdl(info)) {
            return cache.enabledFor(database) ? "*" : "";
        }
        ResultCache.Invalidation result = cache.invalidation(database, info);
        return result.everything() ? "*" : String.join(",", new TreeSet<>(result.tables()));
    }

    private static boolean isDdl(StatementInfo info) {
        return "ddl".equals(info.reason()) || info.parts().stream().anyMatch(RouteExplainer::isDdl);
    }

    /** The configured database {@code name} (exactly, else ignoring case), or the first one for null. */
    private String database(String name) {
        if (name == null) {
            return config.databases().keySet().iterator().next();
        }
        if (config.databases().containsKey(name)) {
            return name;
        }
        return config.databases().keySet().stream().filter(name::equalsIgnoreCase).findFirst()
                .orElseThrow(() -> new AdminException(SqlState.INVALID_CATALOG_NAME, "database \"" + name
                        + "\" is not configured", "configured: " + String.join(", ", config.databases().keySet())));
    }

    private static String joined(Set<String> names) {
        return String.join(",", new TreeSet<>(names));
    }
}
