package io.pgroute.config;

import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The Redis result cache ({@code cache:}): where Redis is, which reads may be cached and for how long, and when to
 * stop asking Redis for a while. Absent means disabled. Table and function names are folded like PostgreSQL's
 * unquoted identifiers (lower case); tables are matched by name in every schema. Sets and maps keep the order of the
 * file. {@link #toString()} never shows a password embedded in a Redis URI.
 *
 * @param enabled whether results are cached, default false
 * @param redis Redis URIs in Lettuce syntax ({@code redis://}, {@code rediss://} or {@code redis-sentinel://}); one
 *     server, one Sentinel URI, or the seed nodes of a Redis Cluster; at least one when enabled
 * @param cluster whether {@code redis} names a Redis Cluster, default false
 * @param timeout how long one Redis call may take before it counts as a miss, greater than zero, default 20ms
 * @param defaultTtl how long a cached result lives when none of its tables has a TTL of its own, default 300s
 * @param maxResultBytes results larger than this are not cached, at least 1, default 1 MiB
 * @param include the only tables whose reads are cached; empty (the default) means every table
 * @param exclude tables whose reads are never cached, default empty
 * @param tableTtls TTLs of single tables, each greater than zero, default empty
 * @param functions functions a cached read may call besides the built-in immutable and stable ones, default empty
 * @param databases caching switched on or off per database (a key of {@code databases:}); a database not listed is
 *     on; default empty
 * @param breakerFailures Redis failures in a row after which the cache is bypassed, at least 1, default 5
 * @param breakerCoolDown how long the cache is bypassed before Redis is tried again, greater than zero, default 1s
 * @param localMaxBytes result bytes each instance keeps in its own memory (the local cache, served without asking
 *     Redis; only with a standalone Redis), 0 for none, default 32 MiB
 */
public record CacheConfig(boolean enabled, List<String> redis, boolean cluster, Duration timeout, Duration defaultTtl,
        long maxResultBytes, Set<String> include, Set<String> exclude, Map<String, Duration> tableTtls,
        Set<String> functions, Map<String, Boolean> databases, int breakerFailures, Duration breakerCoolDown,
        long localMaxBytes) {

    /** The default {@link #maxResultBytes()}: 1 MiB. */
    static final long DEFAULT_MAX_RESULT_BYTES = 1L << 20;
    /** The default {@link #localMaxBytes()}: 32 MiB. */
    static final long DEFAULT_LOCAL_MAX_BYTES = 32L << 20;

    /** With the default local cache size. */
    public CacheConfig(boolean enabled, List<String> redis, boolean cluster, Duration timeout, Duration defaultTtl,
            long maxResultBytes, Set<String> include, Set<String> exclude, Map<String, Duration> tableTtls,
            Set<String> functions, Map<String, Boolean> databases, int breakerFailures, Duration breakerCoolDown) {
        this(enabled, redis, cluster, timeout, defaultTtl, maxResultBytes, include, exclude, tableTtls, functions,
                databases, breakerFailures, breakerCoolDown, DEFAULT_LOCAL_MAX_BYTES);
    }

    /** Checks that every component is present and in range and copies the collections, keeping their order. */
    public CacheConfig {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(defaultTtl, "defaultTtl");
        Objects.requireNonNull(breakerCoolDown, "breakerCoolDown");
        redis = List.copyOf(redis);
        include = Collections.unmodifiableSet(new LinkedHashSet<>(include));
        exclude = Collections.unmodifiableSet(new LinkedHashSet<>(exclude));
        tableTtls = Collections.unmodifiableMap(new LinkedHashMap<>(tableTtls));
        functions = Collections.unmodifiableSet(new LinkedHashSet<>(functions));
        databases = Collections.unmodifiableMap(new LinkedHashMap<>(databases));
        requirePositive(timeout, "timeout");
        requirePositive(defaultTtl, "defaultTtl");
        requirePositive(breakerCoolDown, "breakerCoolDown");
        tableTtls.forEach((table, ttl) -> requirePositive(ttl, "TTL of table " + table));
        databases.values().forEach(each -> Objects.requireNonNull(each, "databases value"));
        if (maxResultBytes < 1) {
            throw new IllegalArgumentException("maxResultBytes must be at least 1: " + maxResultBytes);
        }
        if (localMaxBytes < 0) {
            throw new IllegalArgumentException("localMaxBytes must not be negative: " + localMaxBytes);
        }
        if (breakerFailures < 1) {
            throw new IllegalArgumentException("breakerFailures must be at least 1: " + breakerFailures);
        }
        if (enabled && redis.isEmpty()) {
            throw new IllegalArgumentException("an enabled cache needs at least one Redis URI");
        }
    }

    /** Caching off, no Redis, 20ms timeout, 300s TTL, 1 MiB results, every table, breaker after 5 failures for 1s. */
    public static CacheConfig disabled() {
        return new CacheConfig(false, List.of(), false, Duration.ofMillis(20), Duration.ofSeconds(300),
                DEFAULT_MAX_RESULT_BYTES, Set.of(), Set.of(), Map.of(), Set.of(), Map.of(), 5, Duration.ofSeconds(1));
    }

    /**
     * Whether reads of {@code database} (a key of {@code databases:}) are cached.
     *
     * @param database the database name clients use
     * @return true when the cache is enabled and not switched off for this database
     */
    public boolean enabledFor(String database) {
        return enabled && databases.getOrDefault(database, Boolean.TRUE);
    }

    /**
     * Whether reads of {@code table} may be cached: it is included (or nothing is) and not excluded.
     *
     * @param table an unqualified table name, folded to lower case as PostgreSQL folds unquoted names
     * @return true when the table allows caching
     */
    public boolean tableAllowed(String table) {
        return (include.isEmpty() || include.contains(table)) && !exclude.contains(table);
    }

    /**
     * How long a result read from {@code tables} lives in the cache.
     *
     * @param tables unqualified lower-case table names of one statement; may be empty
     * @return the smallest TTL among those tables that have one in {@link #tableTtls()}, else {@link #defaultTtl()}
     */
    public Duration ttlFor(Collection<String> tables) {
        Duration result = null;
        for (String each : tables) {
            Duration ttl = tableTtls.get(each);
            if (ttl != null && (result == null || ttl.compareTo(result) < 0)) {
                result = ttl;
            }
        }
        return result == null ? defaultTtl : result;
    }

    @Override
    public String toString() {
        return "CacheConfig[enabled=" + enabled + ", redis=" + redis.stream().map(CacheConfig::masked).toList()
                + ", cluster=" + cluster + ", timeout=" + timeout + ", defaultTtl=" + defaultTtl + ", maxResultBytes="
                + maxResultBytes + ", include=" + include + ", exclude=" + exclude + ", tableTtls=" + tableTtls
                + ", functions=" + functions + ", databases=" + databases + ", breakerFailures=" + breakerFailures
                + ", breakerCoolDown=" + breakerCoolDown + ", localMaxBytes=" + localMaxBytes + "]";
    }

    static CacheConfig read(MappingReader reader, Set<String> databaseNames) {
        return CacheConfigReader.read(reader, databaseNames);
    }

    /**
     * The URI with its user information ({@code user:pass@}, {@code :pass@} or Lettuce's {@code pass@}) replaced by
     * {@code ***@}. Everything up to the last {@code @} goes, so a password holding {@code @} or {@code /} is hidden
     * too.
     */
    static String masked(String uri) {
        int scheme = uri.indexOf("://");
        int from = scheme < 0 ? 0 : scheme + 3;
        int at = uri.lastIndexOf('@');
        return at < from ? uri : uri.substring(0, from) + "***" + uri.substring(at);
    }

    private static void requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be greater than zero: " + value);
        }
    }
}
