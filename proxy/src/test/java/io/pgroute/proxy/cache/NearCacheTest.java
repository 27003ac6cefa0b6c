package io.pgroute.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The local cache's rules, driven by hand: subscription events, PONGs and a clock. */
class NearCacheTest {

    private static final long LEASE = NearCache.LEASE.toNanos();
    private static final long TTL = 60_000;
    /** A floor long before any PING: the session saw nothing newer. */
    private static final long EARLY = 1;

    private long now = 1_000_000_000L;
    private final List<CompletableFuture<Void>> pings = new ArrayList<>();
    private NearCache near;
    private final CacheKey key = CacheKey.builder("shop", "app").sql("select * from products where id = 1").build();
    private final CachedResult result = new CachedResult(CachedResultTest.frames(), 7, Map.of("products", 1L));

    @BeforeEach
    void subscribe() {
        near = new NearCache(1 << 20, () -> now, ignored -> {
            CompletableFuture<Void> ping = new CompletableFuture<>();
            pings.add(ping);
            return ping;
        });
        near.subscribed();
    }

    @Test
    void aHitNeedsAPongForAPingSentAfterTheFloorAndWithinTheLease() {
        near.offer(key, result, List.of("products"), near.mark(), TTL);
        CompletableFuture<Optional<CachedResult>> first = near.get(key, EARLY);
        assertThat(first).isNotDone();  // no lease yet: waits for a PONG
        assertThat(pings).hasSize(1);
        now += 100_000;
        pings.get(0).complete(null);
        assertThat(first).isCompletedWithValue(Optional.of(result));

        assertThat(near.get(key, now - 200_000)).isCompletedWithValue(Optional.of(result));  // lease covers it
        CompletableFuture<Optional<CachedResult>> afterFloor = near.get(key, now - 1);  // saw something newer
        assertThat(afterFloor).isNotDone();
        now += LEASE;  // and the lease ran out meanwhile
        assertThat(near.get(key, now - LEASE - 100_000)).isNotDone();
        pings.get(1).complete(null);
        assertThat(afterFloor).isCompletedWithValue(Optional.of(result));
        assertThat(near.leaseWaits()).as("lookups that waited for a PONG").isEqualTo(3);
        assertThat(near.hits()).isEqualTo(4);
    }

    @Test
    void aMessageNamingATableEndsItsEntriesButNotOthers() {
        CacheKey other = CacheKey.builder("shop", "app").sql("select * from prices").build();
        near.offer(key, result, List.of("products"), near.mark(), TTL);
        near.offer(other, result, List.of("prices"), near.mark(), TTL);
        lease();
        near.message(NearCache.message("x:1", "shop", List.of("products"), false));
        assertThat(near.get(key, EARLY)).isNull();
        assertThat(near.get(other, EARLY)).isCompletedWithValue(Optional.of(result));
        near.message(NearCache.message("x:2", "shop", List.of(), true));
        assertThat(near.get(other, EARLY)).isNull();
    }

    @Test
    void anotherDatabaseIsNotTouched() {
        near.offer(key, result, List.of("products"), near.mark(), TTL);
        lease();
        near.message(NearCache.message("x:1", "other", List.of(), true));
        assertThat(near.get(key, EARLY)).isCompletedWithValue(Optional.of(result));
    }

    @Test
    void aHitLookedUpBeforeAnInvalidationArrivedIsNotKept() {
        long mark = near.mark();
        near.invalidate("shop", List.of("products"), false);  // a begin of ours, or a message, while it was in flight
        near.offer(key, result, List.of("products"), mark, TTL);
        lease();
        assertThat(near.get(key, EARLY)).isNull();
    }

    @Test
    void nothingIsKeptOrServedWithoutTheSubscription() {
        near.offer(key, result, List.of("products"), near.mark(), TTL);
        lease();
        near.lost();
        assertThat(near.get(key, EARLY)).isNull();
        long mark = near.mark();
        near.offer(key, result, List.of("products"), mark, TTL);
        assertThat(near.get(key, EARLY)).isNull();
        near.subscribed();  // entries looked up before the subscription was confirmed again stay out
        near.offer(key, result, List.of("products"), mark, TTL);
        assertThat(near.get(key, EARLY)).isNull();
    }

    @Test
    void aPongFromBeforeTheSubscriptionWasLostDoesNotCount() {
        near.offer(key, result, List.of("products"), near.mark(), TTL);
        CompletableFuture<Optional<CachedResult>> waiting = near.get(key, EARLY);
        near.lost();
        assertThat(waiting).isCompletedWithValue(Optional.empty());
        near.subscribed();
        pings.get(0).complete(null);
        near.offer(key, result, List.of("products"), near.mark(), TTL);
        assertThat(near.get(key, EARLY)).isNotDone();
    }

    @Test
    void aFailedPingServesNothing() {
        near.offer(key, result, List.of("products"), near.mark(), TTL);
        CompletableFuture<Optional<CachedResult>> waiting = near.get(key, EARLY);
        pings.get(0).completeExceptionally(new CacheUnavailableException("timeout"));
        assertThat(waiting).isCompletedWithValue(Optional.empty());
    }

    @Test
    void ownMessagesAreRecognised() {
        String token = near.token();
        near.expect(token);
        CompletableFuture<Void> own = near.ownMessage(token);
        near.expect(token);  // watched again: the first future is replaced and never completes
        near.message(NearCache.message(token, "shop", List.of("products"), false));
        assertThat(near.ownMessage(token)).isCompleted();  // still there after its message: the begin takes it
        assertThat(own).isNotDone();
        near.forget(token);
        assertThat(near.ownMessage(token)).isNull();
        String early = near.token();  // the message before the begin's answer
        near.expect(early);
        near.message(NearCache.message(early, "shop", List.of("products"), false));
        assertThat(near.ownMessage(early)).isCompleted();
        assertThat(new String(NearCache.message("t", "db", List.of("a", "b"), false), StandardCharsets.UTF_8))
                .isEqualTo("t\0db\0a\0b");
    }

    @Test
    void entriesLiveNoLongerThanRedisHadLeft() {
        near.offer(key, result, List.of("products"), near.mark(), 5);
        lease();
        assertThat(near.get(key, EARLY)).isCompletedWithValue(Optional.of(result));
        now += Duration.ofMillis(6).toNanos();
        assertThat(near.get(key, EARLY)).isNull();
    }

    /** Gets a lease: a lookup of a held entry sends a PING, whose PONG then arrives. */
    private void lease() {
        CacheKey probe = CacheKey.builder("probe", "app").sql("select 2").build();
        near.offer(probe, result, List.of("t"), near.mark(), TTL);
        near.get(probe, EARLY);
        if (!pings.isEmpty() && !pings.get(pings.size() - 1).isDone()) {
            pings.get(pings.size() - 1).complete(null);
        }
        now += 1000;
    }
}
