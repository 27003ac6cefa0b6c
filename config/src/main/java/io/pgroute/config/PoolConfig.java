package io.pgroute.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Backend connection pools ({@code pool:}). There is one pool per server and event loop; {@code size} is the
 * maximum number of connections pgroute opens to one server in total.
 *
 * @param mode transaction or session pooling, default {@link PoolMode#TRANSACTION}
 * @param size maximum connections per server, at least 1, default 20
 * @param timeout how long a client waits for a free connection before it gets an error, default 5s
 * @param connectTimeout how long opening and authenticating a backend connection may take, default 5s
 * @param idleTimeout an unused connection is closed after this long, default 10m
 * @param maxLifetime a connection is closed (when next released) after this long, default 1h
 * @param idleTransactionTimeout a client that leaves a transaction open and sends nothing for this long is
 *                               disconnected (25P03) and its transaction rolled back; zero, the default, never
 * @param prepareSimpleQueries whether a simple-protocol Query whose shape repeats runs on the server as a prepared
 *                             statement with its number literals as parameters, parsed and planned once per
 *                             connection; default true
 * @param deferBegin whether a plain {@code BEGIN} (a simple Query, or one extended-protocol unit that parses it) is
 *                   answered by pgroute and sent to the server in front of the transaction's first request, saving a
 *                   server round trip; default true
 */
public record PoolConfig(PoolMode mode, int size, Duration timeout, Duration connectTimeout, Duration idleTimeout,
        Duration maxLifetime, Duration idleTransactionTimeout, boolean prepareSimpleQueries, boolean deferBegin) {

    /** Simple Queries prepared and BEGIN deferred (the defaults). */
    public PoolConfig(PoolMode mode, int size, Duration timeout, Duration connectTimeout, Duration idleTimeout,
                      Duration maxLifetime, Duration idleTransactionTimeout) {
        this(mode, size, timeout, connectTimeout, idleTimeout, maxLifetime, idleTransactionTimeout, true, true);
    }

    /** Without an idle-in-transaction timeout. */
    public PoolConfig(PoolMode mode, int size, Duration timeout, Duration connectTimeout, Duration idleTimeout,
                      Duration maxLifetime) {
        this(mode, size, timeout, connectTimeout, idleTimeout, maxLifetime, Duration.ZERO);
    }

    /** Checks that every component is present. */
    public PoolConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(maxLifetime, "maxLifetime");
        Objects.requireNonNull(idleTransactionTimeout, "idleTransactionTimeout");
    }

    /** Transaction pooling, 20 connections, 5s, 5s, 10m, 1h. */
    public static PoolConfig defaults() {
        return new PoolConfig(PoolMode.TRANSACTION, 20, Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofMinutes(10), Duration.ofHours(1));
    }

    static PoolConfig read(MappingReader reader) {
        PoolConfig defaults = defaults();
        PoolConfig result = new PoolConfig(
                reader.choice("mode", PoolMode.class, defaults.mode()),
                reader.integer("size", defaults.size(), 1, Integer.MAX_VALUE),
                reader.duration("timeout", defaults.timeout(), true),
                reader.duration("connect_timeout", defaults.connectTimeout(), true),
                reader.duration("idle_timeout", defaults.idleTimeout(), true),
                reader.duration("max_lifetime", defaults.maxLifetime(), true),
                reader.duration("idle_transaction_timeout", defaults.idleTransactionTimeout(), false),
                reader.bool("prepare_simple_queries", defaults.prepareSimpleQueries()),
                reader.bool("defer_begin", defaults.deferBegin()));
        reader.finish();
        return result;
    }
}
