package io.pgroute.proxy.stats;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ThreadCounterTest {

    @Test
    void theSumHoldsWhatEveryThreadCounted() throws Exception {
        ThreadCounter counter = new ThreadCounter();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> {
                for (int i = 0; i < 100_000; i++) {
                    counter.increment();
                }
                counter.add(5);
            }));
        }
        threads.forEach(Thread::start);
        for (Thread each : threads) {
            each.join(30_000);
        }
        counter.add(-3);
        assertThat(counter.sum()).isEqualTo(4 * 100_005 - 3);
    }
}
