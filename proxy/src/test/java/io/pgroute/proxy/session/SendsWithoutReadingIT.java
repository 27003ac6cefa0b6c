package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Query;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that sends requests without reading the answers is held back once pgroute holds a few megabytes of them,
 * as PostgreSQL holds back a client it cannot answer; it gets every answer once it reads. Before, reads sent to a
 * replica waited in pgroute's memory behind the first one whose answer the client did not take: all 32 MB of them.
 */
class SendsWithoutReadingIT {

    /**
     * 64 MB of requests in all. Besides pgroute's own 2 MiB, the kernel buffers some of what the writer sends before
     * it blocks, and with receive buffers that grow to 32 MB (this machine's tcp_rmem) that was 17 MB once in CI:
     * with 32 MB in all, "less than half" then failed although pgroute held the client back as it should.
     */
    private static final int QUERIES = 8000;
    /** Each query's text (a comment pads it) and each answer's value: 8 kB. */
    private static final int SIZE = 8000;

    @Test
    void aClientThatDoesNotReadIsHeldBackAndThenGetsEveryAnswer() throws Exception {
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            try {
                sendWithoutReadingThenReadAll(client, writer);
            } catch (Throwable failed) {
                client.abort();  // the writer may be stuck in a write: closing normally would wait for it forever
                throw failed;
            }
        } finally {
            writer.shutdownNow();
            assertThat(writer.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static void sendWithoutReadingThenReadAll(WireClient client, ExecutorService writer) throws Exception {
        String sql = "SELECT repeat('a', " + SIZE + ") /* " + "p".repeat(SIZE) + " */";
        long requestBytes = 5L + sql.length() + 1;
        AtomicLong sent = new AtomicLong();
        Future<?> sending = writer.submit(() -> {
            for (int i = 0; i < QUERIES; i++) {
                client.send(new Query(sql));
                sent.addAndGet(requestBytes);
            }
            return null;
        });
        long before = -1;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!sending.isDone() && sent.get() != before && System.nanoTime() < deadline) {
            before = sent.get();
            Thread.sleep(2_000);  // until the writer is stuck (or done)
        }
        assertThat(sending.isDone()).as("the writer is held back (it sent %d of %d bytes)", sent.get(),
                QUERIES * requestBytes).isFalse();
        assertThat(sent.get()).isLessThan(QUERIES * requestBytes / 2);

        for (int i = 0; i < QUERIES; i++) {
            String answer = client.readUntilReady().stream().filter(each -> each.type() == 'D').findFirst()
                    .orElseThrow(() -> new IOException("no row")).firstValue();
            assertThat(answer).hasSize(SIZE);
        }
        sending.get(30, TimeUnit.SECONDS);
    }
}
