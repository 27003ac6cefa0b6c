package io.pgroute.proxy.cache;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one connection to Redis (Lettuce, byte-array codec) and the rules every call follows: refused while the
 * circuit breaker is open, bounded by the timeout, its outcome fed to the breaker, failures counted and warned
 * about (rate-limited). Never blocks: a call returns a future at once, completed on a Lettuce thread or on the
 * JDK's timeout thread.
 */
final class RedisLink {

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisCache.class);
    private static final Duration WARN_INTERVAL = Duration.ofSeconds(10);

    private final RedisClient client;
    private final RedisURI uri;
    private final Duration timeout;
    private final CircuitBreaker breaker;
    private final RateLimitedWarning warning;
    private final LongAdder errors;
    private final AtomicReference<CompletableFuture<StatefulRedisConnection<byte[], byte[]>>> connection;
    private volatile boolean closed;

    RedisLink(String uri, Duration timeout, CircuitBreaker breaker, LongAdder errors, LongSupplier clock) {
        this.uri = RedisURI.create(uri);
        this.timeout = timeout;
        this.breaker = breaker;
        this.errors = errors;
        this.warning = new RateLimitedWarning(LOGGER, WARN_INTERVAL, clock);
        this.client = RedisClient.create();
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .build());
        this.connection = new AtomicReference<>(connect());
    }

    /** Runs {@code command} on the connection under the breaker and the timeout; {@code what} names it in logs. */
    <T> CompletableFuture<T> call(String what,
            Function<RedisAsyncCommands<byte[], byte[]>, CompletionStage<T>> command) {
        if (closed) {
            return CompletableFuture.failedFuture(new CacheUnavailableException("cache closed"));
        }
        if (!breaker.tryAcquire()) {
            errors.increment();
            return CompletableFuture.failedFuture(new CacheUnavailableException("circuit breaker open"));
        }
        CompletableFuture<T> result = connection()
                .thenCompose(redis -> command.apply(redis.async()))
                .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return result.whenComplete((value, failure) -> {
            if (failure == null) {
                breaker.onSuccess();
                return;
            }
            errors.increment();
            boolean opened = breaker.onFailure();
            warning.warn("redis " + what + " on " + uri.getHost() + ":" + uri.getPort() + " failed: "
                    + describe(failure) + (opened ? "; circuit breaker opened" : ""));
        });
    }

    /** Runs a Lua script by SHA, sending its text once if Redis does not know it yet (NOSCRIPT). */
    <T> CompletableFuture<T> script(String what, RedisScript script, ScriptOutputType type, byte[][] keys,
            byte[]... args) {
        return call(what, redis -> redis.<T>evalsha(script.sha(), type, keys, args).toCompletableFuture()
                .exceptionallyCompose(failure -> unwrap(failure) instanceof RedisNoScriptException
                        ? redis.<T>eval(script.source(), type, keys, args)
                        : CompletableFuture.failedFuture(failure)));
    }

    /** Runs {@code task} after {@code delay} on a Lettuce event executor; a no-op once closed. */
    void schedule(Runnable task, Duration delay) {
        if (closed) {
            return;
        }
        try {
            client.getResources().eventExecutorGroup().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            LOGGER.debug("not scheduling {}: executor shut down", task);
        }
    }

    /** Runs {@code task} every {@code period}, first right away. */
    Future<?> every(Runnable task, Duration period) {
        return client.getResources().eventExecutorGroup()
                .scheduleWithFixedDelay(task, 0, period.toNanos(), TimeUnit.NANOSECONDS);
    }

    boolean closed() {
        return closed;
    }

    /** Closes the connection and shuts the client's threads down; completes when they are gone. */
    CompletableFuture<Void> closeAsync() {
        closed = true;
        CompletableFuture<Void> connectionClosed = connection.get()
                .thenCompose(StatefulRedisConnection::closeAsync)
                .handle((ignored, failure) -> null);
        return connectionClosed.thenCompose(ignored -> client.shutdownAsync(0, 2, TimeUnit.SECONDS));
    }

    private CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connection() {
        CompletableFuture<StatefulRedisConnection<byte[], byte[]>> current = connection.get();
        if (!current.isCompletedExceptionally() || closed) {
            return current;
        }
        CompletableFuture<StatefulRedisConnection<byte[], byte[]>> fresh = new CompletableFuture<>();
        if (connection.compareAndSet(current, fresh)) {
            connect().whenComplete((value, failure) -> {
                if (failure != null) {
                    fresh.completeExceptionally(failure);
                } else {
                    fresh.complete(value);
                }
            });
            return fresh;
        }
        return connection.get();
    }

    private CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connect() {
        return client.connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture();
    }

    static Throwable unwrap(Throwable failure) {
        Throwable result = failure;
        while (result instanceof CompletionException && result.getCause() != null) {
            result = result.getCause();
        }
        return result;
    }

    private static String describe(Throwable failure) {
        Throwable cause = unwrap(failure);
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
