package io.pgroute.config;

import java.util.Objects;

/**
 * Where pgroute accepts client connections ({@code listen:}). Port 0 asks the operating system for a free port,
 * which is handy in tests.
 *
 * @param host address or host name to bind, default {@code 127.0.0.1}
 * @param port TCP port, 0-65535, default {@code 6432}
 * @param ioThreads event-loop threads serving clients and backends ({@code io_threads}); 0, the default, means one
 *     per processor
 */
public record ListenConfig(String host, int port, int ioThreads) {

    /** The default host. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** The default port. */
    public static final int DEFAULT_PORT = 6432;

    /** Checks that the host is present. */
    public ListenConfig {
        Objects.requireNonNull(host, "host");
    }

    /** Host and port, one event loop per processor. */
    public ListenConfig(String host, int port) {
        this(host, port, 0);
    }

    /** The event-loop threads to start: {@code io_threads}, or one per processor when it is 0. */
    public int effectiveIoThreads() {
        return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    }

    /** {@code 127.0.0.1:6432}. */
    public static ListenConfig defaults() {
        return new ListenConfig(DEFAULT_HOST, DEFAULT_PORT);
    }

    static ListenConfig read(MappingReader reader) {
        String host = reader.has("host") ? reader.requiredString("host").orElse(DEFAULT_HOST) : DEFAULT_HOST;
        int port = reader.integer("port", DEFAULT_PORT, 0, 65535);
        int ioThreads = reader.integer("io_threads", 0, 0, 1024);
        reader.finish();
        return new ListenConfig(host, port, ioThreads);
    }
}
