package io.pgroute.proxy.cache;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.netty.channel.EventLoopGroup;
import io.pgroute.proxy.stats.ThreadCounter;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared result cache in Redis, with invalidation by table version (DESIGN.md, "Result cache").
 *
 * <p>Keys, all under the database's hash tag so that a Redis Cluster keeps them in one slot:
 * {@code pgroute:{db}:v:<table>} (version counter), {@code pgroute:{db}:w:<table>} (last-write watermark: the highest primary WAL position a write of the table
 * was committed below, a decimal),
 * {@code pgroute:{db}:epoch} and {@code pgroute:{db}:r:<key hex>} (an encoded {@link CachedResult}).
 *
 * <p>Every method returns at once; each Redis call has the configured timeout and goes through a
 * {@link CircuitBreaker}. Lookups and stores fail open (a miss, {@code false}); a failed {@link #bump} or
 * {@link #versions} completes exceptionally. A failed bump, a missing epoch key or a changed Redis run id blocks
 * hits of the database until an epoch bump sent afterwards has succeeded; that bump is retried in the background.
 * Futures complete on Lettuce or JDK timer threads: callers on an event loop must hop back themselves.
 */
public final class RedisCache implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisCache.class);
    private static final long STATUS_STALE = 1;
    private static final long STATUS_EPOCH_MISSING = 2;
    private static final long STATUS_VALID = 3;
    /** Keys of writes whose tables are unknown: flux counter and last-write watermark of the whole database. */
    private static final String ALL_FLUX = "f:*";
    private static final String ALL_WRITTEN = "w:*";
    /** How long a begun write keeps its tables in flux if its settle never comes (the instance died). */
    static final Duration FLUX_LIFETIME = Duration.ofSeconds(10);

    private final RedisLink link;
    private final EpochGuard guard;
    private final CircuitBreaker breaker;
    private final Future<?> healthCheck;
    /** How long a run id check may take (see the constructor). */
    private final Duration runIdTimeout;
    private final ThreadCounter hits = new ThreadCounter();
    private final ThreadCounter misses = new ThreadCounter();
    private final ThreadCounter stores = new ThreadCounter();
    private final LongAdder errors = new LongAdder();
    private final LongAdder bumps = new LongAdder();
    private final ThreadCounter hitBytes = new ThreadCounter();
    private final ThreadCounter storedBytes = new ThreadCounter();
    private final ThreadCounter tooLarge = new ThreadCounter();
    private final ThreadCounter lagSkipped = new ThreadCounter();
    /** The local cache; null when off (configured so, or a Sentinel or Cluster topology). */
    private final NearCache near;
    private final RedisSubscription subscription;
    private final LongSupplier clock;

    /**
     * Tuning of the Redis calls.
     *
     * @param timeout          bound of every call
     * @param breakerThreshold consecutive failures that open the circuit breaker
     * @param breakerCoolDown  how long the open breaker refuses calls before a probe
     * @param healthInterval   how often the server's run id is checked
     * @param localMaxBytes    result bytes the local cache ({@link NearCache}) may hold; 0: no local cache
     */
    public record Settings(Duration timeout, int breakerThreshold, Duration breakerCoolDown,
            Duration healthInterval, long localMaxBytes) {

        /** Without a local cache. */
        public Settings(Duration timeout, int breakerThreshold, Duration breakerCoolDown, Duration healthInterval) {
            this(timeout, breakerThreshold, breakerCoolDown, healthInterval, 0);
        }

        /** 20 ms timeout, breaker opening after 5 failures for 1 s, run id checked every second, no local cache. */
        public static Settings defaults() {
            return new Settings(Duration.ofMillis(20), 5, Duration.ofSeconds(1), Duration.ofSeconds(1));
        }
    }

    /** Connects (in the background) to {@code uri}, e.g. {@code redis://127.0.0.1:6379}, with default settings. */
    public RedisCache(String uri) {
        this(uri, Settings.defaults());
    }

    /**
     * Connects (in the background) to {@code uri} with {@code settings}: a standalone server ({@code redis://},
     * {@code rediss://}) or the master named by sentinels ({@code redis-sentinel://host:port[,host:port]/db#master}).
     */
    public RedisCache(String uri, Settings settings) {
        this(List.of(uri), false, settings);
    }

    /**
     * Connects (in the background) with {@code settings} to a Redis Cluster whose seeds are {@code uris}
     * ({@code cluster}), or else to the one standalone or Sentinel URI in {@code uris}.
     *
     * @throws IllegalArgumentException if {@code uris} is empty, holds several URIs without {@code cluster}, or a
     *                                  {@code redis-sentinel://} URI with {@code cluster} or without a master name
     */
    public RedisCache(List<String> uris, boolean cluster, Settings settings) {
        this(uris, cluster, settings, System::nanoTime);
    }

    /**
     * As {@link #RedisCache(List, boolean, Settings)}, with the Redis connections on pgroute's event loops
     * ({@code loops}, {@code threads} of them) where Lettuce can use them (see {@link SharedEventLoops}).
     */
    public RedisCache(List<String> uris, boolean cluster, Settings settings, EventLoopGroup loops, int threads) {
        this(uris, cluster, settings, System::nanoTime, loops, threads);
    }

    RedisCache(List<String> uris, boolean cluster, Settings settings, LongSupplier clock) {
        this(uris, cluster, settings, clock, null, 0);
    }

    RedisCache(List<String> uris, boolean cluster, Settings settings, LongSupplier clock, EventLoopGroup loops,
            int threads) {
        this.breaker = new CircuitBreaker(settings.breakerThreshold(), settings.breakerCoolDown(), clock);
        this.link = new RedisLink(uris, cluster, settings.timeout(), breaker, errors, clock, loops, threads);
        this.guard = new EpochGuard(this::sendEpochBump, link::schedule);
        // the run id check answers no client: it may take until the next one is due, so that a reply later than the
        // data calls' timeout (a cold JVM at startup, a busy event loop) does not leave the cache off until then
        this.runIdTimeout = settings.timeout().compareTo(settings.healthInterval()) > 0 ? settings.timeout()
                : settings.healthInterval();
        link.onConnect(this::checkRunId);
        this.healthCheck = link.every(this::checkRunId, settings.healthInterval());
        this.clock = clock;
        if (settings.localMaxBytes() > 0 && link.topology() == RedisLink.Topology.STANDALONE) {
            NearCache local = new NearCache(settings.localMaxBytes(), clock, ignored -> subscriptionPing());
            this.near = local;
            this.subscription = link.subscribe(NearCache.CHANNEL, local);
        } else {
            if (settings.localMaxBytes() > 0) {
                LOGGER.info("local result cache off: it needs a standalone Redis (not {})", link.topology());
            }
            this.near = null;
            this.subscription = null;
        }
    }

    private CompletableFuture<Void> subscriptionPing() {
        return subscription == null ? CompletableFuture.failedFuture(new CacheUnavailableException("no subscription"))
                : subscription.ping();
    }

    /** The local cache, if this instance keeps one. */
    public Optional<NearCache> near() {
        return Optional.ofNullable(near);
    }

    /** The channel begins publish on: only a standalone server carries it (a cluster would not count receivers). */
    private byte[] channel() {
        return link.topology() == RedisLink.Topology.STANDALONE ? NearCache.CHANNEL : new byte[0];
    }

    private byte[] message(String token, String database, Collection<String> tables, boolean everything) {
        return link.topology() == RedisLink.Topology.STANDALONE
                ? NearCache.message(token == null ? "-" : token, database, tables, everything) : new byte[0];
    }

    /**
     * Reads the versions and last-write watermarks of {@code tables} and the epoch of {@code database} (one MGET),
     * to be read before a fill.
     */
    public CompletableFuture<TableVersions> versions(String database, Collection<String> tables) {
        guard.seen(database);
        List<String> names = new ArrayList<>(new LinkedHashSet<>(tables));
        int count = names.size();
        byte[][] keys = new byte[3 * count + 3][];
        keys[0] = key(database, "epoch");
        keys[1] = key(database, ALL_FLUX);
        keys[2] = key(database, ALL_WRITTEN);
        for (int i = 0; i < count; i++) {
            keys[3 + i] = key(database, "v:" + names.get(i));
            keys[3 + count + i] = key(database, "f:" + names.get(i));
            keys[3 + 2 * count + i] = key(database, "w:" + names.get(i));
        }
        return link.<List<KeyValue<byte[], byte[]>>>call("MGET", redis -> redis.mget(keys)).thenApply(values -> {
            long epoch = number(values.get(0));
            if (epoch == 0) {
                guard.lost(database, "epoch key missing");
            }
            boolean inFlux = number(values.get(1)) > 0;
            long watermark = number(values.get(2));
            Map<String, Long> result = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                result.put(names.get(i), number(values.get(3 + i)));
                inFlux |= number(values.get(3 + count + i)) > 0;
                watermark = Math.max(watermark, number(values.get(3 + 2 * count + i)));
            }
            return new TableVersions(epoch, result, watermark, inFlux);
        });
    }

    /**
     * A write that may commit is about to be sent: bumps the versions of {@code tables} (empty and
     * {@code everything}: the epoch) and marks them in flux, so that from now on no entry read before is served
     * and no fill is stored until {@link #settleWrite}. Completes exceptionally if Redis did not acknowledge it; the
     * database then serves no hits until its epoch was bumped.
     */
    public CompletableFuture<Void> beginWrite(String database, Collection<String> tables, boolean everything) {
        return begin(database, tables, everything).thenCompose(begun -> begun.acknowledged()
                ? CompletableFuture.<Void>completedFuture(null)
                : CompletableFuture.<Void>failedFuture(new CacheUnavailableException("begin not acknowledged")));
    }

    /**
     * A write's begin as {@link #beginWrite} sends it, and when the write may be acknowledged to its client.
     *
     * @param acknowledged whether Redis acknowledged the begin (if not, the database serves no hits here until its
     *                     epoch was bumped)
     * @param visible      completes once no instance's local cache can serve what the write invalidates to a read that
     *                     starts afterwards: at once when no other instance subscribes, else {@link NearCache#LEASE}
     *                     after the acknowledgement
     */
    public record WriteBegun(boolean acknowledged, CompletableFuture<Void> visible) {
    }

    /** {@link #beginWrite}, never failing: what it tells is in the answer. */
    public CompletableFuture<WriteBegun> begin(String database, Collection<String> tables, boolean everything) {
        guard.seen(database);
        byte[] lifetime = bytes(Long.toString(FLUX_LIFETIME.toMillis()));
        CompletableFuture<Long> sent;
        List<String> names = new ArrayList<>(new LinkedHashSet<>(tables));
        String token = null;
        if (near != null) {
            token = near.token();
            near.expect(token);
            near.invalidate(database, names, everything);
        }
        byte[] message = message(token, database, names, everything);
        if (everything) {
            long generation = guard.generation(database);
            byte[] floor = bytes(Long.toString(System.currentTimeMillis() * 1000));
            sent = link.<Long>script("begin write", RedisScript.BEGIN_WRITE_ALL, ScriptOutputType.INTEGER,
                    new byte[][] {key(database, "epoch"), key(database, ALL_FLUX)}, floor, lifetime, channel(),
                    message)
                    .whenComplete((receivers, failure) -> {
                        if (failure == null) {
                            guard.epochBumped(database, generation);
                        }
                    });
        } else {
            byte[][] keys = new byte[names.size() * 2][];
            for (int i = 0; i < names.size(); i++) {
                keys[2 * i] = key(database, "v:" + names.get(i));
                keys[2 * i + 1] = key(database, "f:" + names.get(i));
            }
            sent = link.<Long>script("begin write", RedisScript.BEGIN_WRITE, ScriptOutputType.INTEGER, keys,
                    lifetime, channel(), message);
        }
        String own = token;
        return sent.handle((receivers, failure) -> {
            long acknowledged = clock.getAsLong();
            if (near != null) {
                near.invalidate(database, names, everything);  // again: a lookup sent from now on sees the bump
            }
            if (failure != null) {
                guard.lost(database, "invalidation of " + (everything ? "everything" : names) + " failed");
            } else {
                bumps.increment();
                LOGGER.debug("invalidate table={} database={} receivers={}", everything ? "*" : names, database,
                        receivers);
            }
            return new WriteBegun(failure == null, visibility(own, failure == null ? receivers : -1, acknowledged));
        });
    }

    /**
     * When a write whose begin reached {@code receivers} subscribers ({@code -1}: unknown) at {@code acknowledged}
     * may be acknowledged: at once without receivers, or when the only one was this instance (its message came
     * back), else {@link NearCache#LEASE} after {@code acknowledged}, when every other instance's lease on what it
     * held before has run out.
     */
    private CompletableFuture<Void> visibility(String token, long receivers, long acknowledged) {
        CompletableFuture<Void> own = near == null || token == null ? null : near.ownMessage(token);
        if (receivers == 0 || own == null) {
            if (near != null && token != null) {
                near.forget(token);
            }
            if (receivers == 0) {
                return CompletableFuture.completedFuture(null);
            }
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        long wait = NearCache.leaseNanos() - (clock.getAsLong() - acknowledged);
        if (wait <= 0 || link.closed()) {
            result.complete(null);
        } else {
            link.schedule(() -> result.complete(null), Duration.ofNanos(wait));
        }
        if (own != null) {
            if (receivers == 1) {
                own.thenRun(() -> result.complete(null));  // the one receiver was this instance
            }
            result.thenRun(() -> near.forget(token));
        }
        return result;
    }

    /** Renews the flux marks of a write begun by {@link #beginWrite} that is still running. Never fails. */
    public CompletableFuture<Void> renewWrite(String database, Collection<String> tables, boolean everything) {
        List<String> names = new ArrayList<>(new LinkedHashSet<>(tables));
        byte[][] keys = new byte[names.size() + (everything ? 1 : 0)][];
        for (int i = 0; i < names.size(); i++) {
            keys[i] = key(database, "f:" + names.get(i));
        }
        if (everything) {
            keys[names.size()] = key(database, ALL_FLUX);
        }
        return link.<Long>script("renew write", RedisScript.RENEW_WRITE, ScriptOutputType.INTEGER, keys,
                bytes(Long.toString(FLUX_LIFETIME.toMillis()))).handle((ignored, failure) -> null);
    }

    /**
     * The write begun by {@link #beginWrite} with the same arguments is over: committed at WAL position {@code lsn}
     * (0: rolled back, or no position needed), and fills may be stored again once nothing else is in flight. A
     * failure only delays that until the flux marks expire.
     */
    public CompletableFuture<Void> settleWrite(String database, Collection<String> tables, boolean everything,
                                               long lsn) {
        return settleWrites(database, List.of(new Settled(tables, everything, lsn)));
    }

    /** A write over, as {@link #settleWrites} takes it: what it had begun, and its commit position (0: none). */
    public record Settled(Collection<String> tables, boolean everything, long lsn) {
    }

    /**
     * Several writes begun by {@link #beginWrite} are over, settled in one round trip: as {@link #settleWrite} for
     * each, in one script. A flux counter drops by the number of them that had begun it; a watermark rises to the
     * newest commit position among them (a higher watermark only makes a replica need to be further along).
     */
    public CompletableFuture<Void> settleWrites(String database, List<Settled> batch) {
        Map<String, long[]> settled = new LinkedHashMap<>();  // flux key suffix -> {writes, newest position}
        for (Settled each : batch) {
            if (each.everything()) {
                countSettled(settled, ALL_FLUX, each.lsn());
            } else {
                for (String table : new LinkedHashSet<>(each.tables())) {
                    countSettled(settled, "f:" + table, each.lsn());
                }
            }
        }
        byte[][] keys = new byte[settled.size() * 2][];
        byte[][] args = new byte[settled.size() * 2][];
        int at = 0;
        for (Map.Entry<String, long[]> each : settled.entrySet()) {
            String flux = each.getKey();
            keys[at] = key(database, flux);
            keys[at + 1] = key(database, "w:" + flux.substring(2));  // ALL_FLUX "f:*" pairs with ALL_WRITTEN "w:*"
            args[at] = bytes(Long.toString(each.getValue()[0]));
            args[at + 1] = bytes(Long.toString(each.getValue()[1]));
            at += 2;
        }
        return link.<Long>script("settle write", RedisScript.SETTLE_WRITES, ScriptOutputType.INTEGER, keys, args)
                .<Void>thenApply(ignored -> null);
    }

    private static void countSettled(Map<String, long[]> settled, String flux, long lsn) {
        long[] counts = settled.computeIfAbsent(flux, ignored -> new long[2]);
        counts[0]++;
        counts[1] = Math.max(counts[1], lsn);
    }

    /** Looks {@code key} up; present only if every recorded version and the epoch are still current. Never fails. */
    public CompletableFuture<Optional<CachedResult>> get(CacheKey key) {
        return lookup(key, List.of()).thenApply(Lookup::hit);
    }

    /**
     * What a lookup found: the entry, valid, or, on a miss, the versions of {@code tables} a fill needs (read in the
     * same round trip; empty when Redis failed or no tables were asked for).
     */
    public record Lookup(Optional<CachedResult> hit, Optional<TableVersions> versions, boolean local) {

        public Lookup(Optional<CachedResult> hit, Optional<TableVersions> versions) {
            this(hit, versions, false);
        }
    }

    /**
     * {@link #lookup(CacheKey, Collection)}, answered from the local cache when it holds a valid entry and its
     * lease covers {@code floor} (when the session last saw an answer from anywhere else; see {@link NearCache}).
     */
    public CompletableFuture<Lookup> lookup(CacheKey key, Collection<String> tables, long floor) {
        if (near == null || guard.blocks(key.database())) {
            return lookup(key, tables);
        }
        CompletableFuture<Optional<CachedResult>> local = near.get(key, floor);
        if (local == null) {
            return lookup(key, tables);
        }
        if (local.isDone() && !local.isCompletedExceptionally()) {
            Optional<CachedResult> found = local.join();
            return found.isPresent() ? CompletableFuture.completedFuture(localHit(found)) : lookup(key, tables);
        }
        return local.handle((found, failure) -> found).thenCompose(found -> found != null && found.isPresent()
                ? CompletableFuture.completedFuture(localHit(found)) : lookup(key, tables));
    }

    private Lookup localHit(Optional<CachedResult> found) {
        hits.increment();
        hitBytes.add(found.get().size());
        return new Lookup(found, Optional.empty(), true);
    }

    /**
     * Looks {@code key} up and, on a miss, reads the versions of {@code tables} in the same script: one round trip
     * for a hit and one for what a fill needs. Never fails.
     */
    public CompletableFuture<Lookup> lookup(CacheKey key, Collection<String> tables) {
        String database = key.database();
        guard.seen(database);
        List<String> names = new ArrayList<>(new LinkedHashSet<>(tables));
        if (guard.blocks(database)) {
            miss(key, "invalidation lost");
            return names.isEmpty() ? CompletableFuture.completedFuture(new Lookup(Optional.empty(), Optional.empty()))
                    : versions(database, names).handle((versions, failure) -> new Lookup(Optional.empty(),
                            failure == null ? Optional.of(versions) : Optional.empty()));
        }
        long mark = near == null ? 0 : near.mark();
        byte[][] keys = {key(database, "r:" + key.hex()), key(database, "epoch")};
        byte[][] args = new byte[names.isEmpty() ? 2 : 3 + names.size()][];
        args[0] = key(database, "v:");
        args[1] = CachedResult.MAGIC;
        if (!names.isEmpty()) {
            args[2] = key(database, "");
            for (int i = 0; i < names.size(); i++) {
                args[3 + i] = bytes(names.get(i));
            }
        }
        return link.<List<Object>>script("lookup", RedisScript.GET, ScriptOutputType.MULTI, keys, args)
                .handle((reply, failure) -> {
                    if (failure != null) {
                        return new Lookup(miss(key, "redis failed"), Optional.empty());
                    }
                    long status = (Long) reply.get(0);
                    if (status == STATUS_EPOCH_MISSING) {
                        guard.lost(database, "epoch key missing");
                    }
                    if (status == STATUS_VALID && !guard.blocks(database)) {
                        Optional<CachedResult> hit = decoded(key, (byte[]) reply.get(1));
                        if (near != null && hit.isPresent() && reply.size() > 2 && reply.get(2) instanceof Long ttl) {
                            near.offer(key, hit.get(), names, mark, ttl);
                        }
                        return new Lookup(hit, Optional.empty());
                    }
                    Optional<CachedResult> missed = miss(key, status == STATUS_VALID ? "invalidation lost"
                            : status == STATUS_STALE ? "stale" : "absent");
                    if (status == STATUS_VALID || reply.size() < 4 + 3 * names.size()) {
                        return new Lookup(missed, Optional.empty());
                    }
                    TableVersions versions = parseVersions(names, reply);
                    if (!versions.epochKnown() && status != STATUS_EPOCH_MISSING) {
                        guard.lost(database, "epoch key missing");  // first use of the database: create it
                    }
                    return new Lookup(missed, Optional.of(versions));
                });
    }

    private static TableVersions parseVersions(List<String> names, List<Object> reply) {
        long epoch = number((byte[]) reply.get(1));
        boolean inFlux = number((byte[]) reply.get(2)) > 0;
        long watermark = number((byte[]) reply.get(3));
        Map<String, Long> versions = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            versions.put(names.get(i), number((byte[]) reply.get(4 + 3 * i)));
            inFlux |= number((byte[]) reply.get(5 + 3 * i)) > 0;
            watermark = Math.max(watermark, number((byte[]) reply.get(6 + 3 * i)));
        }
        return new TableVersions(epoch, versions, watermark, inFlux);
    }

    /** Stores {@code result} for {@code ttl}; completes with whether it was stored. Never fails. */
    public CompletableFuture<Boolean> put(CacheKey key, CachedResult result, Duration ttl) {
        if (result.epoch() == 0) {
            return CompletableFuture.completedFuture(false);
        }
        byte[] entryKey = key(key.database(), "r:" + key.hex());
        byte[] value = result.encode();
        return link.call("SET", redis -> redis.set(entryKey, value, SetArgs.Builder.px(ttl.toMillis())))
                .handle((reply, failure) -> {
                    if (failure != null) {
                        return false;
                    }
                    stores.increment();
                    storedBytes.add(result.size());
                    LOGGER.debug("cache store key={} bytes={} ttl={}", key, result.size(), ttl);
                    return true;
                });
    }

    /**
     * Bumps the versions of {@code tables} and raises their last-write watermarks to {@code lsn} (a primary WAL
     * position at or past the write's commit) in one script. Completes exceptionally if Redis did not acknowledge
     * it; the database then serves no hits until its epoch was bumped.
     */
    public CompletableFuture<Void> bump(String database, Collection<String> tables, long lsn) {
        guard.seen(database);
        List<String> names = new ArrayList<>(new LinkedHashSet<>(tables));
        byte[][] keys = new byte[names.size() * 2][];
        for (int i = 0; i < names.size(); i++) {
            keys[2 * i] = key(database, "v:" + names.get(i));
            keys[2 * i + 1] = key(database, "w:" + names.get(i));
        }
        byte[] marker = bytes(Long.toUnsignedString(lsn));
        if (near != null) {
            near.invalidate(database, names, false);
        }
        return link.<Long>script("bump", RedisScript.BUMP, ScriptOutputType.INTEGER, keys, marker, channel(),
                        message(null, database, names, false))
                .<Void>thenApply(count -> {
                    if (near != null) {
                        near.invalidate(database, names, false);
                    }
                    bumps.increment();
                    LOGGER.debug("invalidate table={} database={}", names, database);
                    return null;
                }).whenComplete((ignored, failure) -> {
                    if (failure != null) {
                        guard.lost(database, "bump of " + names + " failed");
                    }
                });
    }

    /** Bumps the epoch of {@code database}, invalidating all its entries; completes with the new epoch. */
    public CompletableFuture<Long> bumpEpoch(String database) {
        long generation = guard.generation(database);
        return sendEpochBump(database).whenComplete((epoch, failure) -> {
            if (failure == null) {
                guard.epochBumped(database, generation);
            }
        });
    }

    /**
     * Takes the lock {@code name} of {@code database} for {@code ttl} if no one holds it ({@code SET NX PX}): completes
     * with true when this call took it, false when someone else holds it; fails when Redis does not answer.
     * Coordinates what only one pgroute sharing this Redis must do (a promotion).
     */
    public CompletableFuture<Boolean> tryLock(String database, String name, String owner, Duration ttl) {
        byte[] lockKey = key(database, "lock:" + name);
        return link.call("SET NX " + name, redis -> redis.set(lockKey, bytes(owner),
                SetArgs.Builder.nx().px(ttl.toMillis()))).thenApply("OK"::equals);
    }

    /** Whether Redis's run id was read since the last (re)connect: until then every lookup is a miss. */
    boolean knowsRunId() {
        return link.knowsRunId();
    }

    /** The circuit breaker's state. */
    public CircuitBreaker.State state() {
        return breaker.state();
    }

    /** True while some database serves no hits because an invalidation may have been lost. */
    public boolean lostBump() {
        return guard.anyBlocked();
    }

    /** The counters since start. */
    public CacheStats stats() {
        return new CacheStats(hits.sum(), misses.sum(), stores.sum(), errors.sum(), bumps.sum(), hitBytes.sum(),
                storedBytes.sum(), tooLarge.sum(), lagSkipped.sum(), near == null ? 0 : near.hits(),
                near == null ? 0 : near.leaseWaits());
    }

    /** A fill was abandoned: the answer outgrew {@code cache.max_result_bytes}. */
    void countTooLarge() {
        tooLarge.increment();
    }

    /** A fill from a replica was not stored: the replica had not replayed a write to one of its tables. */
    void countLagSkipped() {
        lagSkipped.increment();
    }

    /**
     * What Redis holds about one table of a database, for the admin console.
     *
     * @param table        the table's version key (its unqualified name)
     * @param version      its version counter
     * @param lastWriteLsn the highest WAL position a write of it committed below; 0 when none was recorded
     * @param inFlux       a write of it has begun and not settled (or its flux mark has not expired yet)
     */
    public record TableState(String table, long version, long lastWriteLsn, boolean inFlux) {
    }

    /**
     * The tables of {@code database} with a version counter in Redis, at most {@code limit}, sorted by name, with
     * their last-write watermarks and flux marks. SCANs (never KEYS) {@code pgroute:{db}:v:*}, each step one call
     * under the timeout and the circuit breaker, until the cursor is done, {@code limit} tables were found or 1,000
     * steps were taken; then reads their keys with one MGET. With more tables than {@code limit}, which ones are
     * shown is up to the scan order. In a Redis Cluster the scan visits every master in turn (Lettuce's cluster
     * scan), although a database's keys share one slot. Completes exceptionally if a call fails.
     */
    public CompletableFuture<List<TableState>> tables(String database, int limit) {
        String prefix = "pgroute:{" + database + "}:v:";
        byte[] pattern = bytes("pgroute:{" + globEscaped(database) + "}:v:*");
        ScanArgs args = ScanArgs.Builder.matches(pattern).limit(1000);
        return scanTables(ScanCursor.INITIAL, args, prefix, new TreeSet<>(), limit, 1000)
                .thenCompose(names -> names.isEmpty() ? CompletableFuture.completedFuture(List.<TableState>of())
                        : tableStates(database, new ArrayList<>(names)));
    }

    private CompletableFuture<Set<String>> scanTables(ScanCursor cursor, ScanArgs args, String prefix,
                                                      Set<String> found, int limit, int steps) {
        return link.<KeyScanCursor<byte[]>>call("SCAN", redis -> redis.scan(cursor, args)).thenCompose(page -> {
            for (byte[] each : page.getKeys()) {
                String name = new String(each, StandardCharsets.UTF_8);
                if (found.size() < limit && name.startsWith(prefix)) {
                    found.add(name.substring(prefix.length()));
                }
            }
            if (page.isFinished() || found.size() >= limit || steps <= 1) {
                return CompletableFuture.completedFuture(found);
            }
            return scanTables(page, args, prefix, found, limit, steps - 1);
        });
    }

    private CompletableFuture<List<TableState>> tableStates(String database, List<String> names) {
        int count = names.size();
        byte[][] keys = new byte[3 * count][];
        for (int i = 0; i < count; i++) {
            keys[i] = key(database, "v:" + names.get(i));
            keys[count + i] = key(database, "f:" + names.get(i));
            keys[2 * count + i] = key(database, "w:" + names.get(i));
        }
        return link.<List<KeyValue<byte[], byte[]>>>call("MGET", redis -> redis.mget(keys)).thenApply(values -> {
            List<TableState> result = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                if (values.get(i).hasValue()) {  // else dropped since the scan
                    result.add(new TableState(names.get(i), number(values.get(i)), number(values.get(2 * count + i)),
                            number(values.get(count + i)) > 0));
                }
            }
            return result;
        });
    }

    /** {@code text} with Redis's glob characters escaped, for a SCAN MATCH pattern. */
    private static String globEscaped(String text) {
        StringBuilder result = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                result.append('\\');
            }
            result.append(c);
        }
        return result.toString();
    }

    /** Stops the health check, closes the connection and the client's threads; completes when they are gone. */
    public CompletableFuture<Void> closeAsync() {
        healthCheck.cancel(false);
        CompletableFuture<Void> unsubscribed = subscription == null ? CompletableFuture.completedFuture(null)
                : subscription.closeAsync();
        return unsubscribed.thenCompose(ignored -> link.closeAsync());
    }

    /** Starts {@link #closeAsync()} without waiting for it. */
    @Override
    public void close() {
        closeAsync();
    }

    private CompletableFuture<Long> sendEpochBump(String database) {
        guard.seen(database);
        byte[] floor = bytes(Long.toString(System.currentTimeMillis() * 1000));
        if (near != null) {
            near.invalidate(database, List.of(), true);
        }
        return link.<Long>script("epoch bump", RedisScript.BUMP_EPOCH, ScriptOutputType.INTEGER,
                new byte[][] {key(database, "epoch")}, floor, channel(), message(null, database, List.of(), true))
                .thenApply(epoch -> {
                    if (near != null) {
                        near.invalidate(database, List.of(), true);
                    }
                    bumps.increment();
                    LOGGER.debug("invalidate all database={} epoch={}", database, epoch);
                    return epoch;
                });
    }

    /**
     * Hands the guard the identity of the servers holding our keys: the run id of the (current) master, or in a
     * cluster node and run id of every master, so that a restart or failover of any of them changes it.
     */
    private void checkRunId() {
        if (link.closed()) {
            return;
        }
        link.<String>callMasters("INFO server", runIdTimeout, redis -> redis.info("server")).thenAccept(infos -> {
            List<String> ids = new ArrayList<>();
            infos.forEach((node, info) -> info.lines()
                    .filter(each -> each.startsWith("run_id:"))
                    .findFirst()
                    .map(each -> each.substring("run_id:".length()).strip())
                    .ifPresent(id -> ids.add(link.topology() == RedisLink.Topology.CLUSTER ? node + "=" + id : id)));
            if (!ids.isEmpty() && ids.size() == infos.size()) {
                guard.onRunId(String.join(",", ids));
                link.identified();
            }
        });
    }

    private Optional<CachedResult> decoded(CacheKey key, byte[] stored) {
        try {
            CachedResult result = CachedResult.decode(stored);
            hits.increment();
            hitBytes.add(result.size());
            LOGGER.debug("cache hit key={} bytes={}", key, result.size());
            return Optional.of(result);
        } catch (IllegalArgumentException e) {
            errors.increment();
            LOGGER.warn("unreadable cache entry {}: {}", key, e.getMessage());
            return miss(key, "unreadable");
        }
    }

    private Optional<CachedResult> miss(CacheKey key, String reason) {
        misses.increment();
        LOGGER.debug("cache miss key={} reason={}", key, reason);
        return Optional.empty();
    }

    private static long number(byte[] value) {
        return value == null ? 0 : Long.parseLong(new String(value, StandardCharsets.US_ASCII));
    }

    private static long number(KeyValue<byte[], byte[]> value) {
        return value.hasValue() ? Long.parseLong(new String(value.getValue(), StandardCharsets.US_ASCII)) : 0;
    }

    private static byte[] key(String database, String suffix) {
        return bytes("pgroute:{" + database + "}:" + suffix);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
