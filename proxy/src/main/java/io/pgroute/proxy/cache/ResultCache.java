package io.pgroute.proxy.cache;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.pgroute.config.CacheConfig;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.Hint;
import io.pgroute.proxy.sql.StatementInfo;
import io.pgroute.proxy.sql.StatementKind;
import io.pgroute.proxy.sql.Volatility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The result cache's rules (docs/cache.md): which reads may be answered from Redis and under which table
 * versions, and which versions a write must bump. Shared by every session; the per-session protocol (lookup, fill,
 * bump before ReadyForQuery) is {@code session.SessionCache}. Relation facts come from each database's
 * {@link RelationCatalog}, replaced by the control plane; until the first one arrives nothing is cacheable and
 * every write invalidates the whole database.
 */
public final class ResultCache implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(ResultCache.class);

    /** What a cacheable read is filed under: the version keys of its tables and how long it lives. */
    public record ReadPlan(List<String> tables, Duration ttl) {
        public ReadPlan {
            tables = List.copyOf(tables);
        }
    }

    /** What a write invalidates: some tables' versions, or everything in the database (its epoch). */
    public record Invalidation(Set<String> tables, boolean everything) {

        public static final Invalidation NONE = new Invalidation(Set.of(), false);
        public static final Invalidation EVERYTHING = new Invalidation(Set.of(), true);

        public Invalidation {
            tables = Collections.unmodifiableSet(new LinkedHashSet<>(tables));
        }

        public boolean isNone() {
            return !everything && tables.isEmpty();
        }

        /** Both invalidations together. */
        public Invalidation plus(Invalidation other) {
            if (everything || other.everything) {
                return EVERYTHING;
            }
            if (other.isNone()) {
                return this;
            }
            if (isNone()) {
                return other;
            }
            if (tables.containsAll(other.tables)) {
                return this;  // a transaction writing the same tables again: nothing new, nothing allocated
            }
            if (other.tables.containsAll(tables)) {
                return other;
            }
            Set<String> union = new LinkedHashSet<>(tables);
            union.addAll(other.tables);
            return new Invalidation(union, false);
        }
    }

    private volatile CacheConfig config;
    private final RedisCache redis;
    private final Classifier classifier;
    private final Map<String, RelationCatalog> catalogs = new ConcurrentHashMap<>();
    /** Counts replacements of {@link #config} and of the catalogs (see {@link #planGeneration}). */
    private final java.util.concurrent.atomic.AtomicLong planInputs = new java.util.concurrent.atomic.AtomicLong();
    private final Map<String, Runnable> catalogReloads = new ConcurrentHashMap<>();
    /** Per event loop and database, what settles their writes. */
    private final Map<EventLoop, Map<String, WriteSettler>> settlers = new ConcurrentHashMap<>();
    private final Admission admission = new Admission();

    public ResultCache(CacheConfig config, RedisCache redis, Classifier classifier) {
        this.config = config;
        this.redis = redis;
        this.classifier = classifier;
    }

    /**
     * Connects to the Redis of {@code config} (in the background), on pgroute's event loops ({@code loops},
     * {@code threads} of them) where Lettuce can use them; null: on Lettuce's own threads.
     */
    public static ResultCache start(CacheConfig config, Classifier classifier, EventLoopGroup loops, int threads) {
        RedisCache.Settings settings = new RedisCache.Settings(config.timeout(), config.breakerFailures(),
                config.breakerCoolDown(), Duration.ofSeconds(1), config.localMaxBytes());
        RedisCache redis = new RedisCache(config.redis(), config.cluster(), settings, loops, threads);
        LOGGER.info("result cache enabled: {} redis endpoint(s){}, timeout {}, default ttl {}, max result {} bytes,"
                + " local cache {} bytes", config.redis().size(), config.cluster() ? " (cluster)" : "",
                config.timeout(), config.defaultTtl(), config.maxResultBytes(), config.localMaxBytes());
        return new ResultCache(config, redis, classifier);
    }

    /**
     * Online reload: the new rules (tables, TTLs, functions, databases, max result size) apply from the next
     * statement. False, and nothing changes, when {@code next} needs another Redis client (endpoints, cluster,
     * timeout, breaker, or enabled switched): those need a restart.
     */
    public boolean update(CacheConfig next) {
        CacheConfig current = config;
        if (next.enabled() != current.enabled() || !next.redis().equals(current.redis())
                || next.cluster() != current.cluster() || !next.timeout().equals(current.timeout())
                || next.breakerFailures() != current.breakerFailures() || next.localMaxBytes() != current.localMaxBytes()
                || !next.breakerCoolDown().equals(current.breakerCoolDown())) {
            return false;
        }
        config = next;
        planInputs.incrementAndGet();
        return true;
    }

    /**
     * Changes whenever a {@link #plan} may change for the same statement: the configuration, a relation catalog or
     * the function catalog was replaced. Callers may keep plans for as long as it stays the same.
     */
    public long planGeneration() {
        return (classifier.generation() << 32) + planInputs.get();
    }

    /** What settles the writes of {@code database}'s sessions on {@code loop}; confined to that loop. */
    public WriteSettler settler(EventLoop loop, String database) {
        return settlers.computeIfAbsent(loop, ignored -> new ConcurrentHashMap<>())
                .computeIfAbsent(database, ignored -> new WriteSettler(redis, database, loop));
    }

    public RedisCache redis() {
        return redis;
    }

    public boolean enabledFor(String database) {
        return config.enabledFor(database);
    }

    /** Results larger than this are streamed to the client without being stored. */
    public int maxResultBytes() {
        return (int) Math.min(Integer.MAX_VALUE - 64, config.maxResultBytes());
    }

    /** The control plane loaded a new relation catalog for {@code database}. */
    public void catalog(String database, RelationCatalog catalog) {
        catalogs.put(database, catalog);
        planInputs.incrementAndGet();
    }

    /** How to reload {@code database}'s relation catalog at once (after DDL went through pgroute). */
    public void onReloadCatalog(String database, Runnable reload) {
        catalogReloads.put(database, reload);
    }

    /** A fill was abandoned because the result outgrew {@code max_result_bytes}. */
    public void countTooLarge() {
        redis.countTooLarge();
    }

    /** A fill from a replica was not stored: the replica had not replayed a write to one of its tables. */
    public void countLagSkipped() {
        redis.countLagSkipped();
    }

    /** Every counter of the cache since start. */
    public CacheStats stats() {
        return redis.stats();
    }

    /**
     * The plan for caching {@code statement} in {@code database}, or empty when it must run on a server every time:
     * a single read (no locking clause, no {@code nocache} or {@code primary} hint) whose functions are all
     * IMMUTABLE or allow-listed ({@code cache.functions}; a {@code cache ttl=…} hint allows STABLE ones too), and
     * whose tables are all permanent ordinary tables of the catalog and allowed by {@code cache.tables}.
     */
    public Optional<ReadPlan> plan(String database, StatementInfo statement) {
        if (!config.enabledFor(database) || statement.kind() != StatementKind.READ || statement.multiStatement()
                || !statement.readOnly() || statement.noCache() || statement.hint() == Hint.PRIMARY
                || statement.lockingClause() || statement.tablesRead().isEmpty() || !statement.tablesComplete()) {
            return Optional.empty();
        }
        if (!statement.cacheable() && !functionsAllowed(statement)) {
            return Optional.empty();
        }
        RelationCatalog catalog = catalogs.getOrDefault(database, RelationCatalog.empty());
        List<String> keys = new ArrayList<>();
        for (String table : statement.tablesRead()) {
            String key = RelationCatalog.versionKey(table);
            if (!catalog.cacheable(table) || !config.tableAllowed(key)) {
                return Optional.empty();
            }
            if (!keys.contains(key)) {
                keys.add(key);
            }
        }
        Duration ttl = statement.cacheTtl().orElseGet(() -> config.ttlFor(keys));
        return Optional.of(new ReadPlan(keys, ttl));
    }

    /**
     * Whether this execution of a cacheable statement should be looked up: statement shapes whose lookups almost
     * never hit are looked up only now and then (see {@link Admission}).
     */
    public boolean admit(StatementInfo statement) {
        return admission.admit(statement.fingerprint());
    }

    /** A lookup of {@code statement}'s shape was answered, a hit or not. */
    public void recordLookup(StatementInfo statement, boolean hit) {
        admission.record(statement.fingerprint(), hit);
    }

    private boolean functionsAllowed(StatementInfo statement) {
        boolean hinted = statement.cacheTtl().isPresent();
        for (String each : statement.functions()) {
            Volatility volatility = classifier.volatility(each);
            boolean allowed = volatility == Volatility.IMMUTABLE || config.functions().contains(each)
                    || (hinted && volatility == Volatility.STABLE);
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    /**
     * What {@code statement}, sent to the primary in {@code database}, invalidates once committed: the tables it
     * writes and those its writes reach (cascading foreign keys, partitions), or everything when that cannot be
     * known (tables not named, DO/CALL, user functions, also behind a view, triggers, two-phase commit, anything not
     * understood).
     */
    public Invalidation invalidation(String database, StatementInfo statement) {
        if (!config.enabledFor(database)) {
            return Invalidation.NONE;
        }
        if (!statement.readOnly() && WriteReach.mentionsDdl(statement)) {
            reloadCatalog(database);
        }
        return WriteReach.of(statement, catalogs.getOrDefault(database, RelationCatalog.empty()), classifier);
    }

    /** DDL went through pgroute: the relation catalog may be out of date. */
    public void reloadCatalog(String database) {
        Runnable reload = catalogReloads.get(database);
        if (reload != null) {
            reload.run();
        }
    }

    @Override
    public void close() {
        redis.close();
    }

    /** Closes the Redis client; completes when its threads are gone. */
    public CompletableFuture<Void> closeAsync() {
        return redis.closeAsync();
    }
}
