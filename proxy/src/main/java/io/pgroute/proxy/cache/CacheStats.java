package io.pgroute.proxy.cache;

/**
 * A snapshot of the cache's counters since start, for metrics and {@code SHOW CACHE}; all of them are kept by
 * {@link RedisCache}.
 *
 * @param hits        lookups answered from Redis
 * @param misses      lookups not answered (absent, stale, blocked by a lost bump, or Redis failing)
 * @param stores      results written to Redis
 * @param errors      Redis calls that failed, timed out or were refused by the open circuit breaker
 * @param bumps       successful invalidations (table bumps and epoch bumps)
 * @param hitBytes    bytes of answers served from Redis
 * @param storedBytes bytes of answers written to Redis
 * @param tooLarge    fills abandoned because the answer outgrew {@code cache.max_result_bytes}
 * @param lagSkipped  fills from a replica not stored because it had not replayed the tables' last write
 * @param localHits   of the hits, those answered from this instance's memory (the local cache) without Redis
 * @param leaseWaits  local lookups that waited for a PONG first (the lease had run out), answered or not
 */
public record CacheStats(long hits, long misses, long stores, long errors, long bumps, long hitBytes,
        long storedBytes, long tooLarge, long lagSkipped, long localHits, long leaseWaits) {
}
