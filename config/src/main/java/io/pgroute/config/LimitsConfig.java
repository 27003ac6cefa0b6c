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
 * @param loginTimeout how long a client connection may take to authenticate (from connecting to its password
 *     accepted), more than 0, default 60s as PostgreSQL's {@code authentication_timeout}
 * @param maxPreparedBytes how much one client's prepared statements may hold in pgroute (their texts, plus
 *     {@link #PREPARED_OVERHEAD} bytes each), at least 64 kB, default 16 MiB: a client that prepares without ever
 *     closing gets an error instead of filling the proxy's memory (COMPAT L4)
 * @param maxReadQueryBytes the longest simple Query pgroute reads (to route it, cache it, follow what it changes),
 *     64 kB to 16 MiB (pgroute never analyses a longer text), default 8 MiB; a longer one is relayed in pieces as it
 *     arrives, unread (COMPAT L1)
 * @param reservedConnections client connections allowed open beyond {@code maxClients}, logged in or not, at least
 *     0, default 10: room for the admin console (which {@code maxClients} does not count) and for refusing logins
 *     with an error; one more connection is refused at once, so that sockets that never log in cannot take every
 *     file descriptor before {@code loginTimeout} closes them
 */
public record LimitsConfig(long maxFrameBytes, int maxClients, Duration shutdownTimeout, Duration loginTimeout,
                           long maxPreparedBytes, long maxReadQueryBytes, int reservedConnections) {

    /** The default {@link #maxFrameBytes()}: 1 GiB. */
    public static final long DEFAULT_MAX_FRAME_BYTES = 1L << 30;
    /** The smallest {@link #maxFrameBytes()} accepted. */
    public static final long MIN_FRAME_BYTES = 1024;

    /** The default {@link #loginTimeout()}: 60 s, as PostgreSQL's {@code authentication_timeout}. */
    public static final Duration DEFAULT_LOGIN_TIMEOUT = Duration.ofSeconds(60);

    /** The default {@link #maxPreparedBytes()}: 16 MiB. */
    public static final long DEFAULT_MAX_PREPARED_BYTES = 16L << 20;
    /** The smallest {@link #maxPreparedBytes()} accepted. */
    public static final long MIN_PREPARED_BYTES = 64L << 10;
    /** What a prepared statement counts for in {@link #maxPreparedBytes()} beside its text. */
    public static final int PREPARED_OVERHEAD = 256;

    /**
     * The default {@link #maxReadQueryBytes()}: 8 MiB. Reading a text takes up to about 17 times its length in heap
     * (its characters, the lexer's tokens; measured: an 8 MiB {@code IN} list of integers classified in a 152 MB
     * heap, not in 136 MB), and two are read at a time: about 300 MB at most, within bin/pgroute's 512 MB.
     */
    public static final long DEFAULT_MAX_READ_QUERY_BYTES = 8L << 20;
    /** The smallest {@link #maxReadQueryBytes()} accepted. */
    public static final long MIN_READ_QUERY_BYTES = 64L << 10;
    /** The largest {@link #maxReadQueryBytes()} accepted: no longer text is analysed, whatever sent it. */
    public static final long MAX_READ_QUERY_BYTES = 16L << 20;

    /** The default {@link #reservedConnections()}. */
    public static final int DEFAULT_RESERVED_CONNECTIONS = 10;

    /** Checks that the timeouts are present and the login timeout positive. */
    public LimitsConfig {
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        Objects.requireNonNull(loginTimeout, "loginTimeout");
        if (loginTimeout.isZero() || loginTimeout.isNegative()) {
            throw new IllegalArgumentException("loginTimeout must be positive: " + loginTimeout);
        }
        if (reservedConnections < 0) {
            throw new IllegalArgumentException("reservedConnections must not be negative: " + reservedConnections);
        }
    }

    /** Limits as given, {@link #DEFAULT_RESERVED_CONNECTIONS} connections beyond {@code maxClients}. */
    public LimitsConfig(long maxFrameBytes, int maxClients, Duration shutdownTimeout, Duration loginTimeout,
                        long maxPreparedBytes, long maxReadQueryBytes) {
        this(maxFrameBytes, maxClients, shutdownTimeout, loginTimeout, maxPreparedBytes, maxReadQueryBytes,
                DEFAULT_RESERVED_CONNECTIONS);
    }

    /** {@link #maxClients()} plus {@link #reservedConnections()}: client connections open at once, at most. */
    public long maxConnections() {
        return (long) maxClients + reservedConnections;
    }

    /** Limits as given, Query texts read up to {@link #DEFAULT_MAX_READ_QUERY_BYTES}. */
    public LimitsConfig(long maxFrameBytes, int maxClients, Duration shutdownTimeout, Duration loginTimeout,
                        long maxPreparedBytes) {
        this(maxFrameBytes, maxClients, shutdownTimeout, loginTimeout, maxPreparedBytes, DEFAULT_MAX_READ_QUERY_BYTES);
    }

    /** Limits as given, {@link #DEFAULT_MAX_PREPARED_BYTES} of prepared statements per client. */
    public LimitsConfig(long maxFrameBytes, int maxClients, Duration shutdownTimeout, Duration loginTimeout) {
        this(maxFrameBytes, maxClients, shutdownTimeout, loginTimeout, DEFAULT_MAX_PREPARED_BYTES);
    }

    /** Limits as given, logins within {@link #DEFAULT_LOGIN_TIMEOUT}. */
    public LimitsConfig(long maxFrameBytes, int maxClients, Duration shutdownTimeout) {
        this(maxFrameBytes, maxClients, shutdownTimeout, DEFAULT_LOGIN_TIMEOUT);
    }

    /**
     * 1 GiB frames, 10000 clients, 30s shutdown, 60s to log in, 16 MiB of prepared statements per client, Query texts
     * read up to 8 MiB, 10 connections beyond the clients.
     */
    public static LimitsConfig defaults() {
        return new LimitsConfig(DEFAULT_MAX_FRAME_BYTES, 10_000, Duration.ofSeconds(30), DEFAULT_LOGIN_TIMEOUT,
                DEFAULT_MAX_PREPARED_BYTES, DEFAULT_MAX_READ_QUERY_BYTES, DEFAULT_RESERVED_CONNECTIONS);
    }

    static LimitsConfig read(MappingReader reader) {
        LimitsConfig defaults = defaults();
        LimitsConfig result = new LimitsConfig(
                reader.size("max_frame_bytes", defaults.maxFrameBytes(), MIN_FRAME_BYTES, Integer.MAX_VALUE),
                reader.integer("max_clients", defaults.maxClients(), 1, Integer.MAX_VALUE),
                reader.duration("shutdown_timeout", defaults.shutdownTimeout(), false),
                reader.duration("login_timeout", defaults.loginTimeout(), true),
                reader.size("max_prepared_bytes", defaults.maxPreparedBytes(), MIN_PREPARED_BYTES, Long.MAX_VALUE),
                reader.size("max_read_query_bytes", defaults.maxReadQueryBytes(), MIN_READ_QUERY_BYTES,
                        MAX_READ_QUERY_BYTES),
                reader.integer("reserved_connections", defaults.reservedConnections(), 0, Integer.MAX_VALUE));
        reader.finish();
        return result;
    }
}
