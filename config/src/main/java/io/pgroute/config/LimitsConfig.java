package io.pgroute.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Resource limits ({@code limits:}).
 *
 * @param maxFrameBytes largest protocol message accepted from a client or server, including its length field;
 *     1024 to 2147483647 bytes (the wire length is a signed 32-bit integer), default 1 GiB
 * @param maxClients client connections accepted at the same time, at least 1, default 10000
 * @param shutdownTimeout how long a shutdown waits for running transactions before closing them, default 30s;
 *     0 closes at once
 */
public record LimitsConfig(long maxFrameBytes, int maxClients, Duration shutdownTimeout) {

    /** The default {@link #maxFrameBytes()}: 1 GiB. */
    public static final long DEFAULT_MAX_FRAME_BYTES = 1L << 30;
    /** The smallest {@link #maxFrameBytes()} accepted. */
    public static final long MIN_FRAME_BYTES = 1024;

    /** Checks that the timeout is present. */
    public LimitsConfig {
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
    }

    /** 1 GiB frames, 10000 clients, 30s shutdown. */
    public static LimitsConfig defaults() {
        return new LimitsConfig(DEFAULT_MAX_FRAME_BYTES, 10_000, Duration.ofSeconds(30));
    }

    static LimitsConfig read(MappingReader reader) {
        LimitsConfig defaults = defaults();
        LimitsConfig result = new LimitsConfig(
                reader.size("max_frame_bytes", defaults.maxFrameBytes(), MIN_FRAME_BYTES, Integer.MAX_VALUE),
                reader.integer("max_clients", defaults.maxClients(), 1, Integer.MAX_VALUE),
                reader.duration("shutdown_timeout", defaults.shutdownTimeout(), false));
        reader.finish();
        return result;
    }
}
