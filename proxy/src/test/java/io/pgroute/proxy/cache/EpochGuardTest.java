package io.pgroute.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class EpochGuardTest {

    private final Deque<Runnable> scheduled = new ArrayDeque<>();
    private final List<Duration> delays = new ArrayList<>();
    private final Deque<CompletableFuture<Long>> sent = new ArrayDeque<>();
    private final EpochGuard guard = new EpochGuard(database -> {
        CompletableFuture<Long> result = new CompletableFuture<>();
        sent.add(result);
        return result;
    }, (task, delay) -> {
        scheduled.add(task);
        delays.add(delay);
    });

    @Test
    void lostBumpBlocksUntilARetriedEpochBumpSucceeds() {
        guard.lost("shop", "bump failed");
        assertThat(guard.blocks("shop")).isTrue();
        assertThat(guard.blocks("other")).isFalse();
        scheduled.poll().run();
        sent.poll().completeExceptionally(new IllegalStateException("redis down"));
        assertThat(guard.blocks("shop")).isTrue();
        scheduled.poll().run();
        sent.poll().complete(42L);
        assertThat(guard.blocks("shop")).isFalse();
        assertThat(guard.anyBlocked()).isFalse();
        assertThat(delays).containsExactly(EpochGuard.FIRST_BACKOFF, EpochGuard.FIRST_BACKOFF.multipliedBy(2));
    }

    @Test
    void aLossDuringTheEpochBumpKeepsTheBlock() {
        guard.lost("shop", "bump failed");
        scheduled.poll().run();
        guard.lost("shop", "another bump failed");
        sent.poll().complete(1L);
        assertThat(guard.blocks("shop")).isTrue();
        scheduled.poll().run();
        sent.poll().complete(2L);
        assertThat(guard.blocks("shop")).isFalse();
    }

    @Test
    void epochBumpTaggedBeforeTheLossDoesNotUnblock() {
        long before = guard.generation("shop");
        guard.lost("shop", "bump failed");
        guard.epochBumped("shop", before);
        assertThat(guard.blocks("shop")).isTrue();
        guard.epochBumped("shop", guard.generation("shop"));
        assertThat(guard.blocks("shop")).isFalse();
    }

    @Test
    void runIdChangeBlocksEveryKnownDatabase() {
        guard.seen("shop");
        guard.seen("crm");
        guard.onRunId("aaa");
        assertThat(guard.anyBlocked()).isFalse();
        guard.onRunId("aaa");
        assertThat(guard.anyBlocked()).isFalse();
        guard.onRunId("bbb");
        assertThat(guard.blocks("shop")).isTrue();
        assertThat(guard.blocks("crm")).isTrue();
        assertThat(scheduled).hasSize(1);
    }
}
