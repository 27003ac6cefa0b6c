package io.pgroute.proxy.cache;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One channel subscription on its own connection (Lettuce pub/sub, byte-array codec), and PINGs on that same
 * connection. Redis answers a connection in order, so when a PONG arrives every message published before the PING
 * reached Redis has been handed to the listener: that is what {@link NearCache}'s lease stands on.
 *
 * <p>The listener is called on Lettuce's thread for the connection, in the order things arrived: {@code subscribed}
 * each time the subscription is confirmed (also after a reconnect, when Lettuce subscribes again), {@code lost}
 * whenever the connection drops (messages published meanwhile are gone), {@code message} for each message.
 */
final class RedisSubscription {

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisSubscription.class);

    /** What the subscription reports; every call on the connection's thread, in order. */
    interface Listener {
        void subscribed();

        void lost();

        void message(byte[] body);
    }

    private final RedisClient client;
    private final byte[] channel;
    private final Duration timeout;
    private final CallTimer timer;
    private final CompletableFuture<StatefulRedisPubSubConnection<byte[], byte[]>> connection;
    private volatile boolean closed;

    RedisSubscription(ClientResources resources, RedisURI uri, byte[] channel, Duration timeout, CallTimer timer,
            Listener listener) {
        this.channel = channel.clone();
        this.timeout = timeout;
        this.timer = timer;
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                listener.lost();
            }

            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
                listener.lost();  // whatever was published while we were away is gone; wait for the subscription
            }
        });
        RedisPubSubAdapter<byte[], byte[]> adapter = new RedisPubSubAdapter<>() {
            @Override
            public void message(byte[] from, byte[] body) {
                if (Arrays.equals(from, RedisSubscription.this.channel)) {
                    listener.message(body);
                }
            }

            @Override
            public void subscribed(byte[] to, long count) {
                if (Arrays.equals(to, RedisSubscription.this.channel)) {
                    listener.subscribed();
                }
            }
        };
        this.connection = client.connectPubSubAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture()
                .thenCompose(connected -> {
                    connected.addListener(adapter);
                    return connected.async().subscribe(this.channel).toCompletableFuture()
                            .thenApply(ignored -> connected);
                });
        connection.whenComplete((connected, failure) -> {
            if (failure != null && !closed) {
                LOGGER.warn("redis subscription to {} failed: {}; the local result cache stays off",
                        new String(this.channel, java.nio.charset.StandardCharsets.UTF_8), failure.toString());
            }
        });
    }

    /**
     * A PING on the subscription's connection; completes when its PONG arrived (after every message published
     * before the PING reached Redis was handed to the listener), exceptionally on failure or after the timeout.
     */
    CompletableFuture<Void> ping() {
        if (closed || !connection.isDone() || connection.isCompletedExceptionally()) {
            return CompletableFuture.failedFuture(new CacheUnavailableException("no subscription"));
        }
        return timer.bound(connection.join().async().ping().toCompletableFuture(), timeout)
                .thenApply(ignored -> null);
    }

    /** Closes the connection and this subscription's client (not the shared resources). */
    CompletableFuture<Void> closeAsync() {
        closed = true;
        return connection.handle((connected, failure) -> connected)
                .thenCompose(connected -> connected == null ? CompletableFuture.completedFuture(null)
                        : connected.closeAsync())
                .handle((ignored, failure) -> null)
                .thenCompose(ignored -> client.shutdownAsync(0, 2, TimeUnit.SECONDS))
                .handle((ignored, failure) -> null);
    }
}
