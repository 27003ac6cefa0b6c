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

    /** Each query's text (a comment pads it) and each answer's value: 8 kB. */
    private static final int SIZE = 8000;
    /**
     * At least 64 MB of requests in all, and four times what the kernel may buffer. Besides pgroute's own 2 MiB, the
     * kernel buffers some of what the writer sends before it blocks (the client's send buffer and pgroute's receive
     * buffer, which grow up to tcp_wmem's and tcp_rmem's maximum): with receive buffers that grow to 32 MB that was
     * 17 MB once in CI, and with 32 MB in all "less than half" failed although pgroute held the client back.
     */
    private static final int QUERIES = (int) Math.max(8000, 4 * (maximum("tcp_rmem") + maximum("tcp_wmem")) / SIZE);

    /** The largest buffer the kernel grows a TCP socket's {@code name} (tcp_rmem, tcp_wmem) to; 32 MB if unknown. */
    private static long maximum(String name) {
        try {
            String[] values = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/" + name))
                    .trim().split("\\s+");
            return Long.parseLong(values[values.length - 1]);
        } catch (IOException | RuntimeException unreadable) {
            return 32L << 20;
        }
    }

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
