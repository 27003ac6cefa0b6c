package io.pgroute.proxy.admin;

import io.pgroute.config.ProxyConfig;
import io.pgroute.protocol.SqlState;
import io.pgroute.proxy.cache.CacheStats;
import io.pgroute.proxy.cache.NearCache;
import io.pgroute.proxy.cache.RedisCache;
import io.pgroute.proxy.cache.ResultCache;
import io.pgroute.proxy.routing.Lsn;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * {@code SHOW CACHE} (the result cache's counters since start), {@code SHOW CACHE TABLES} (the table versions,
 * watermarks and flux marks in Redis) and {@code CACHE INVALIDATE}, which bumps versions in Redis exactly as a
 * write through pgroute would, for every database that caches.
 */
final class CacheReport {

    /** Upper bound on an invalidation or a listing; each Redis call has its own, shorter, timeout. */
    private static final long INVALIDATE_TIMEOUT_SECONDS = 10;
    /** SHOW CACHE TABLES lists at most this many tables per database. */
    static final int TABLES_SHOWN = 1000;

    private final ProxyConfig config;
    private final ResultCache cache;

    /** {@code cache} is null when the cache is off. */
    CacheReport(ProxyConfig config, ResultCache cache) {
        this.config = config;
        this.cache = cache;
    }

    static AdminResult.Builder columns() {
        return new AdminResult.Builder().column("enabled", ColumnType.BOOL).column("hits", ColumnType.INT8)
                .column("misses", ColumnType.INT8).column("hit_ratio", ColumnType.FLOAT8)
                .column("stores", ColumnType.INT8).column("hit_bytes", ColumnType.INT8)
                .column("stored_bytes", ColumnType.INT8).column("invalidations", ColumnType.INT8)
                .column("errors", ColumnType.INT8).column("too_large", ColumnType.INT8)
                .column("lag_skipped", ColumnType.INT8).column("circuit", ColumnType.TEXT)
                .column("local_hits", ColumnType.INT8);
    }

    AdminResult show() {
        AdminResult.Builder result = columns();
        if (cache == null) {
            return result.row(false, 0L, 0L, 0.0, 0L, 0L, 0L, 0L, 0L, 0L, 0L, null, 0L).build();
        }
        CacheStats stats = cache.stats();
        long lookups = stats.hits() + stats.misses();
        double ratio = lookups == 0 ? 0.0
                : BigDecimal.valueOf(stats.hits()).divide(BigDecimal.valueOf(lookups), 4, RoundingMode.HALF_UP)
                        .doubleValue();
        return result.row(true, stats.hits(), stats.misses(), ratio, stats.stores(), stats.hitBytes(),
                stats.storedBytes(), stats.bumps(), stats.errors(), stats.tooLarge(), stats.lagSkipped(),
                cache.redis().state().name(), stats.localHits()).build();
    }

    static AdminResult.Builder tableColumns() {
        return new AdminResult.Builder().column("database", ColumnType.TEXT).column("table", ColumnType.TEXT)
                .column("version", ColumnType.INT8).column("last_write_lsn", ColumnType.TEXT)
                .column("in_flux", ColumnType.BOOL);
    }

    /** The tables Redis holds versions of, per database that caches, each sorted by name. */
    CompletableFuture<AdminResult> tables() {
        RedisCache redis = requireCache().redis();
        List<String> databases = config.databases().keySet().stream().filter(cache::enabledFor).toList();
        List<CompletableFuture<List<RedisCache.TableState>>> listed = new ArrayList<>();
        for (String each : databases) {
            listed.add(redis.tables(each, TABLES_SHOWN));
        }
        return CompletableFuture.allOf(listed.toArray(CompletableFuture[]::new))
                .orTimeout(INVALIDATE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .handle((ignored, failure) -> {
                    if (failure != null) {
                        throw failed("listing the cached tables", failure);
                    }
                    AdminResult.Builder result = tableColumns();
                    for (int i = 0; i < databases.size(); i++) {
                        for (RedisCache.TableState each : listed.get(i).join()) {
                            result.row(databases.get(i), each.table(), each.version(),
                                    each.lastWriteLsn() == 0 ? null : Lsn.format(each.lastWriteLsn()), each.inFlux());
                        }
                    }
                    return result.build();
                });
    }

    private ResultCache requireCache() {
        if (cache == null) {
            throw new AdminException(AdminException.NOT_IN_PREREQUISITE_STATE, "the result cache is not enabled",
                    "set cache.enabled: true in proxy.yaml");
        }
        return cache;
    }

    private static AdminException failed(String what, Throwable failure) {
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new AdminException(SqlState.INTERNAL_ERROR, what + " failed: " + message);
    }

    /** Invalidates {@code table} (null: everything) in every database that caches. */
    CompletableFuture<AdminResult> invalidate(String table) {
        RedisCache redis = requireCache().redis();
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (String each : config.databases().keySet()) {
            if (!cache.enabledFor(each)) {
                continue;
            }
            if (table == null) {
                sent.add(redis.bumpEpoch(each));
            } else {
                List<String> tables = List.of(table);
                sent.add(redis.beginWrite(each, tables, false)
                        .thenCompose(ignored -> redis.settleWrite(each, tables, false, 0)));
            }
        }
        // answered only once every instance's local cache lease on what it held before has run out
        Executor afterLease = CompletableFuture.delayedExecutor(NearCache.LEASE.toNanos(), TimeUnit.NANOSECONDS);
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                .orTimeout(INVALIDATE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .handleAsync((ignored, failure) -> {
                    if (failure != null) {
                        throw failed("cache invalidation", failure);
                    }
                    return AdminResult.command("CACHE INVALIDATE");
                }, afterLease);
    }
}
