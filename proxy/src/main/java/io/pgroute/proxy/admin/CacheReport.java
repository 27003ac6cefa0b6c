package io.pgroute.proxy.admin;

import io.pgroute.config.ProxyConfig;
import io.pgroute.proxy.cache.CacheStats;
import io.pgroute.proxy.cache.RedisCache;
import io.pgroute.proxy.cache.ResultCache;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code SHOW CACHE} (the result cache's counters since start) and {@code CACHE INVALIDATE}, which bumps versions
 * in Redis exactly as a write through pgroute would, for every database that caches.
 */
final class CacheReport {

    /** Upper bound on an invalidation; each Redis call has its own, shorter, timeout. */
    private static final long INVALIDATE_TIMEOUT_SECONDS = 10;

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
                .column("lag_skipped", ColumnType.INT8).column("circuit", ColumnType.TEXT);
    }

    AdminResult show() {
        AdminResult.Builder result = columns();
        if (cache == null) {
            return result.row(false, 0L, 0L, 0.0, 0L, 0L, 0L, 0L, 0L, 0L, 0L, null).build();
        }
        CacheStats stats = cache.stats();
        long lookups = stats.hits() + stats.misses();
        double ratio = lookups == 0 ? 0.0
                : BigDecimal.valueOf(stats.hits()).divide(BigDecimal.valueOf(lookups), 4, RoundingMode.HALF_UP)
                        .doubleValue();
        return result.row(true, stats.hits(), stats.misses(), ratio, stats.stores(), stats.hitBytes(),
                stats.storedBytes(), stats.bumps(), stats.errors(), stats.tooLarge(), stats.lagSkipped(),
                cache.redis().state().name()).build();
    }

    /** Invalidates {@code table} (null: everything) in every database that caches. */
    CompletableFuture<AdminResult> invalidate(String table) {
        if (cache == null) {
            throw new AdminException(AdminException.NOT_IN_PREREQUISITE_STATE, "the result cache is not enabled",
                    "set cache.enabled: true in proxy.yaml");
        }
        RedisCache redis = cache.redis();
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
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                .orTimeout(INVALIDATE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .handle((ignored, failure) -> {
                    if (failure != null) {
                        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                        throw new AdminException(io.pgroute.protocol.SqlState.INTERNAL_ERROR,
                                "cache invalidation failed: " + cause.getMessage());
                    }
                    return AdminResult.command("CACHE INVALIDATE");
                });
    }
}
