package io.pgroute.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.pgroute.proxy.stats.ThreadCounter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The local result cache: hits this instance got from Redis, kept in its own memory and served without asking Redis
 * again, and never staler than Redis would be for anyone who could tell (docs/cache.md, "Local cache").
 *
 * <p>Every write's begin publishes the tables it invalidates on a Redis channel that each instance with a local
 * cache subscribes to; an entry is valid until a message naming one of its tables (or its whole database) arrives,
 * and entries are only taken from lookups sent while the subscription was up. Messages can be slow, so a hit also
 * needs a <em>lease</em>: the PONG of a PING sent on the subscription's connection less than {@link #LEASE} ago
 * (and after the session last saw an answer from anywhere else). Redis answers a connection in order, so such a
 * PONG proves every invalidation published before the PING reached Redis has been applied here. A writer, in turn,
 * holds its client's ReadyForQuery until {@link #LEASE} after Redis acknowledged the begin whenever another
 * instance was subscribed ({@link #visible}). Any read that starts after a write was acknowledged therefore finds
 * its invalidation here, or falls back to Redis: only durations measured on one clock are compared.
 *
 * <p>Thread-safe; the subscription's callbacks run on its Lettuce thread, lookups on event loops.
 */
public final class NearCache implements RedisSubscription.Listener {

    /** How recent a PONG must be for a hit; also how long a writer waits when another instance subscribes. */
    public static final Duration LEASE = Duration.ofMillis(2);
    /** The channel every begin publishes to. */
    static final byte[] CHANNEL = "pgroute:invalidate".getBytes(StandardCharsets.UTF_8);
    /** Bytes counted per entry besides its frames (key, entry, table names). */
    private static final int OVERHEAD = 160;
    private static final long NONE = Long.MIN_VALUE;
    /**
     * Tests only: how long each message (and so everything after it on the subscription, PONGs included) is held up
     * before it is applied, standing in for a slow network. 0 in production.
     */
    static volatile long deliveryDelayNanos;
    /** Tests only: a lease other than {@link #LEASE} for every instance in this JVM, in nanoseconds; 0 in production. */
    static volatile long leaseOverrideNanos;

    /** A hit kept here: the lookup's sequence number when it was sent, and its tables' invalidation keys. */
    private record Entry(CachedResult result, String[] invalidationKeys, String databaseKey, long mark,
                         long expiresNanos) {
    }

    private record Waiter(long floor, CompletableFuture<Boolean> done) {
    }

    private final LongSupplier clock;
    private final Function<NearCache, CompletableFuture<Void>> pinger;
    private final Cache<CacheKey, Entry> entries;
    private final String instance;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong tokens = new AtomicLong();
    /** Invalidation key (database NUL table, or database NUL {@code *}) to the sequence number it was last hit at. */
    private final ConcurrentHashMap<String, Long> invalidatedAt = new ConcurrentHashMap<>();
    /** Begins of ours whose message has not come back yet, by token. */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> ownMessages = new ConcurrentHashMap<>();
    private final ThreadCounter hits = new ThreadCounter();
    private final ThreadCounter leaseWaits = new ThreadCounter();
    private volatile long resetAt;
    /** Send time of the newest PING answered since the subscription was last confirmed; NONE without one. */
    private volatile long leaseFrom = NONE;
    private volatile boolean subscribed;

    // guarded by this
    private long generation;
    private boolean pinging;
    private final List<Waiter> waiters = new ArrayList<>();

    /**
     * @param maxBytes how much result data to keep, at least 1
     * @param clock    monotonic nanoseconds
     * @param pinger   sends a PING on the subscription's connection; completes when its PONG arrived
     */
    NearCache(long maxBytes, LongSupplier clock, Function<NearCache, CompletableFuture<Void>> pinger) {
        this.clock = clock;
        this.pinger = pinger;
        this.instance = Long.toHexString(Double.doubleToLongBits(Math.random()) ^ System.nanoTime());
        // bounded by weight only: expiry is checked when an entry is read (below), and a cache without Caffeine's
        // expiry skips its read bookkeeping until it is half full; what expires unread is evicted by weight in turn
        this.entries = Caffeine.newBuilder()
                .executor(Runnable::run)
                .maximumWeight(maxBytes)
                .<CacheKey, Entry>weigher((key, entry) -> entry.result().size() + OVERHEAD)
                .build();
    }

    // ---- reads ----

    /** The sequence number to take before a Redis lookup whose hit may be {@link #offer}ed. */
    long mark() {
        return sequence.get();
    }

    /**
     * A Redis hit: kept if the subscription is up and nothing invalidated its tables since {@code mark}, for at most
     * {@code ttlMillis} (what Redis had left of it).
     */
    void offer(CacheKey key, CachedResult result, Collection<String> tables, long mark, long ttlMillis) {
        if (!subscribed || ttlMillis <= 0 || mark < resetAt) {
            return;
        }
        String database = key.database();
        String[] keys = new String[tables.size()];
        int i = 0;
        for (String each : tables) {
            keys[i++] = database + '\0' + each;
        }
        Entry entry = new Entry(result, keys, database + "\0*", mark,
                clock.getAsLong() + Duration.ofMillis(ttlMillis).toNanos());
        if (valid(entry)) {
            entries.put(key, entry);
        }
    }

    /**
     * What this instance holds for {@code key}: null when nothing (ask Redis); else a future with the result, or
     * empty when it turned out invalid (ask Redis). The future is complete at once when the lease covers
     * {@code floor} (nanos: when the session last saw an answer that did not come from here), else it completes once
     * a PONG does, on a Lettuce thread.
     */
    CompletableFuture<Optional<CachedResult>> get(CacheKey key, long floor) {
        Entry entry = entries.getIfPresent(key);
        if (entry == null) {
            return null;
        }
        long now = clock.getAsLong();
        if (now - entry.expiresNanos() >= 0) {
            entries.asMap().remove(key, entry);
            return null;
        }
        long leaseNanos = leaseNanos();
        long lease = leaseFrom;  // read before the entry's tables: the PONG came after their invalidations
        if (lease != NONE && lease - floor > 0 && now - lease < leaseNanos) {
            if (!valid(entry)) {
                entries.asMap().remove(key, entry);
                return null;
            }
            if (now - lease > leaseNanos / 2) {
                renew(now);
            }
            hits.increment();
            return CompletableFuture.completedFuture(Optional.of(entry.result()));
        }
        if (!subscribed || !valid(entry)) {
            return null;
        }
        leaseWaits.increment();
        return awaitLease(floor).thenApply(ok -> {
            if (ok && valid(entry)) {
                hits.increment();
                return Optional.of(entry.result());
            }
            return Optional.empty();
        });
    }

    private boolean valid(Entry entry) {
        long mark = entry.mark();
        if (resetAt > mark || atMost(entry.databaseKey(), mark)) {
            return false;
        }
        for (String each : entry.invalidationKeys()) {
            if (atMost(each, mark)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code key} was invalidated after {@code mark}. */
    private boolean atMost(String key, long mark) {
        Long at = invalidatedAt.get(key);
        return at != null && at > mark;
    }

    // ---- invalidation ----

    /** This instance is about to begin (or just began) a write of {@code tables} ({@code everything}: all). */
    void invalidate(String database, Collection<String> tables, boolean everything) {
        long at = sequence.incrementAndGet();
        if (everything) {
            invalidatedAt.put(database + "\0*", at);
            return;
        }
        for (String each : tables) {
            invalidatedAt.put(database + '\0' + each, at);
        }
    }

    /** A new token for a begin's message, so that its own copy can be recognised when it comes back. */
    String token() {
        return instance + ":" + tokens.incrementAndGet();
    }

    /**
     * The message a begin publishes: token, database, then the tables, or {@code *} for all of it; lines separated
     * by NUL (neither names nor tokens hold one).
     */
    static byte[] message(String token, String database, Collection<String> tables, boolean everything) {
        StringBuilder text = new StringBuilder(token).append('\0').append(database);
        if (everything) {
            text.append('\0').append('*');
        } else {
            for (String each : tables) {
                text.append('\0').append(each);
            }
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The future of the begin carrying {@code token}: completes once its message came back on the subscription (so
     * this instance was among the receivers); null when nobody watches for it. The message may come back before or
     * after the begin's answer: they travel on different connections.
     */
    CompletableFuture<Void> ownMessage(String token) {
        return ownMessages.get(token);
    }

    /** Stops watching for the message of the begin carrying {@code token}. */
    void forget(String token) {
        ownMessages.remove(token);
    }

    /** Starts watching for the message of the begin carrying {@code token} (before it is sent). */
    void expect(String token) {
        if (subscribed) {
            ownMessages.put(token, new CompletableFuture<>());
        }
    }

    // ---- subscription callbacks (Lettuce thread, in order) ----

    @Override
    public void message(byte[] body) {
        long delay = deliveryDelayNanos;
        if (delay > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(delay);
        }
        String text = new String(body, StandardCharsets.UTF_8);
        String[] parts = text.split("\0", -1);
        if (parts.length < 3) {
            return;
        }
        if (parts.length == 3 && parts[2].equals("*")) {
            invalidate(parts[1], List.of(), true);
        } else {
            invalidate(parts[1], List.of(parts).subList(2, parts.length), false);
        }
        CompletableFuture<Void> own = ownMessages.get(parts[0]);  // removed by the begin, which may not have seen it yet
        if (own != null) {
            own.complete(null);
        }
    }

    @Override
    public void subscribed() {
        synchronized (this) {
            generation++;
            resetAt = sequence.incrementAndGet();
            leaseFrom = NONE;
            subscribed = true;
        }
    }

    @Override
    public void lost() {
        List<Waiter> failed;
        synchronized (this) {
            generation++;
            subscribed = false;
            leaseFrom = NONE;
            resetAt = sequence.incrementAndGet();
            pinging = false;
            failed = new ArrayList<>(waiters);
            waiters.clear();
        }
        ownMessages.clear();
        entries.invalidateAll();
        failed.forEach(each -> each.done().complete(false));
    }

    // ---- lease ----

    private CompletableFuture<Boolean> awaitLease(long floor) {
        Waiter waiter = new Waiter(floor, new CompletableFuture<>());
        synchronized (this) {
            if (!subscribed) {
                return CompletableFuture.completedFuture(false);
            }
            waiters.add(waiter);
        }
        renew(clock.getAsLong());
        return waiter.done();
    }

    /** Sends a PING unless one is on its way already. */
    private void renew(long now) {
        long sentGeneration;
        synchronized (this) {
            if (pinging || !subscribed) {
                return;
            }
            pinging = true;
            sentGeneration = generation;
        }
        long sent = now;
        pinger.apply(this).whenComplete((ignored, failure) -> answered(sent, sentGeneration, failure == null));
    }

    private void answered(long sent, long sentGeneration, boolean ok) {
        List<Waiter> done = new ArrayList<>();
        boolean again;
        synchronized (this) {
            if (sentGeneration != generation) {
                return;  // the subscription was lost (or renewed) meanwhile: lost() failed the waiters
            }
            pinging = false;
            if (ok && (leaseFrom == NONE || sent - leaseFrom > 0)) {
                leaseFrom = sent;
            }
            for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter each = it.next();
                if (!ok || sent - each.floor() > 0) {
                    done.add(each);
                    it.remove();
                }
            }
            again = !waiters.isEmpty();
        }
        done.forEach(each -> each.done().complete(ok));
        if (again) {
            renew(clock.getAsLong());
        }
    }

    /** The lease in nanoseconds: {@link #LEASE}, unless a test set another. */
    static long leaseNanos() {
        long override = leaseOverrideNanos;
        return override > 0 ? override : LEASE.toNanos();
    }

    // ---- state ----

    /** Whether the subscription is up. */
    public boolean listening() {
        return subscribed;
    }

    /** Hits served from this instance's memory since start. */
    public long hits() {
        return hits.sum();
    }

    /** Lookups of an entry held here that waited for a PONG first, since start (hits or not). */
    public long leaseWaits() {
        return leaseWaits.sum();
    }
}
