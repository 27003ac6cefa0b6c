package io.pgroute.proxy.server;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class SessionCountsTest {

    @Test
    void countsEachNameAndForgetsItWhenItsLastSessionEnds() {
        SessionCounts counts = new SessionCounts();
        counts.increment("alice");
        counts.increment("alice");
        counts.increment("bob");
        assertThat(counts.get("alice")).isEqualTo(2);
        assertThat(counts.get("bob")).isEqualTo(1);
        assertThat(counts.get("carol")).isZero();

        counts.decrement("alice");
        counts.decrement("bob");
        assertThat(counts.get("alice")).isEqualTo(1);
        assertThat(counts.get("bob")).isZero();
        assertThat(counts.names()).isEqualTo(1);

        counts.decrement("alice");
        counts.decrement("alice");  // one too many: never below zero, never a name held for nothing
        assertThat(counts.get("alice")).isZero();
        assertThat(counts.names()).isZero();
    }

    @Test
    void manyRolesComingAndGoingLeaveNothingBehind() throws InterruptedException {
        SessionCounts counts = new SessionCounts();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            threads.add(new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < 20_000; i++) {
                    String name = "role" + (i % 50) + (thread % 2);
                    counts.increment(name);
                    counts.decrement(name);
                }
            }));
        }
        threads.forEach(Thread::start);
        start.countDown();
        for (Thread each : threads) {
            each.join(60_000);
        }
        assertThat(counts.names()).isZero();
    }
}
