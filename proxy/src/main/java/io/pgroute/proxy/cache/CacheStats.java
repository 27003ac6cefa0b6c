package io.pgroute.proxy.cache;

/**
 * A snapshot of the cache's counters since start, for metrics and {@code SHOW CACHE}.
 *
 * @param hits   lookups answered from Redis
 * @param misses lookups not answered (absent, stale, blocked by a lost bump, or Redis failing)
 * @param stores results written to Redis
 * @param errors Redis calls that failed, timed out or were refused by the open circuit breaker
 * @param bumps  successful invalidations (table bumps and epoch bumps)
 */
public record CacheStats(long hits, long misses, long stores, long errors, long bumps) {
}
