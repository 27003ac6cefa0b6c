package io.pgroute.proxy.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The HTTP endpoint on {@code metrics.listen}: {@code GET /metrics} (Prometheus text format) and
 * {@code GET /health} (200 when every database's primary is reachable, 503 otherwise, with one line per database).
 * Runs on one daemon thread of its own, apart from the event loops.
 */
public final class MetricsServer implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(MetricsServer.class);

    /** What {@code /health} says. */
    public record Health(boolean healthy, String text) {
    }

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds {@code host:port} (0: any free port) and starts serving. */
    public static MetricsServer start(String host, int port, ProxyMetrics metrics, Supplier<Health> health)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pgroute-metrics");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", exchange -> respond(exchange, 200,
                "text/plain; version=0.0.4; charset=utf-8", () -> metrics.scrape()));
        server.createContext("/health", exchange -> {
            Health now = health.get();
            respond(exchange, now.healthy() ? 200 : 503, "text/plain; charset=utf-8", now::text);
        });
        server.start();
        LOGGER.info("metrics on http://{}:{}/metrics", host, server.getAddress().getPort());
        return new MetricsServer(server, executor);
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String type, Supplier<String> body)
            throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            String path = exchange.getRequestURI().getPath();
            if (!path.equals("/metrics") && !path.equals("/health")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] bytes;
            try {
                bytes = body.get().getBytes(StandardCharsets.UTF_8);
            } catch (RuntimeException e) {
                LOGGER.warn("cannot answer {}: {}", path, e.toString());
                bytes = ("error: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
                status = 500;
            }
            exchange.getResponseHeaders().set("Content-Type", type);
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
