package io.pgroute.config;

import java.util.Objects;

/**
 * Where pgroute accepts client connections ({@code listen:}). Port 0 asks the operating system for a free port,
 * which is handy in tests.
 *
 * @param host address or host name to bind, default {@code 127.0.0.1}
 * @param port TCP port, 0-65535, default {@code 6432}
 */
public record ListenConfig(String host, int port) {

    /** The default host. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** The default port. */
    public static final int DEFAULT_PORT = 6432;

    /** Checks that the host is present. */
    public ListenConfig {
        Objects.requireNonNull(host, "host");
    }

    /** {@code 127.0.0.1:6432}. */
    public static ListenConfig defaults() {
        return new ListenConfig(DEFAULT_HOST, DEFAULT_PORT);
    }

    static ListenConfig read(MappingReader reader) {
        String host = reader.has("host") ? reader.requiredString("host").orElse(DEFAULT_HOST) : DEFAULT_HOST;
        int port = reader.integer("port", DEFAULT_PORT, 0, 65535);
        reader.finish();
        return new ListenConfig(host, port);
    }
}
