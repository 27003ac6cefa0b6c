package io.pgroute.proxy.cache;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisReadOnlyException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.netty.channel.EventLoopGroup;
import io.pgroute.proxy.logging.RateLimitedWarning;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
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
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one connection to Redis (Lettuce, byte-array codec) and the rules every call follows: refused while the
 * circuit breaker is open, bounded by the timeout, its outcome fed to the breaker, failures counted and warned
 * about (rate-limited, naming the endpoint). Never blocks: a call returns a future at once, completed on a Lettuce
 * thread or on the JDK's timeout thread.
 *
 * <p>Three topologies, the same rules for each:
 * <ul>
 * <li>standalone, {@code redis://} or {@code rediss://}: one server;
 * <li>Sentinel, {@code redis-sentinel://host:port[,host:port]/db#master}: the sentinels name the master at connect
 * and again at every reconnect, so after a failover the link follows the promoted replica. A {@code READONLY}
 * reply (we still talk to a demoted master) drops the connection so that the next call asks again;
 * <li>Cluster, one or more seed URIs: commands go to the master owning the key's slot; the topology is refreshed
 * periodically and on redirects and reconnects, so a failover is followed.
 * </ul>
 * Reconnects back off from 10 ms to at most 1 s: a cache should be back soon after its server is. After a
 * (re)connect of a standalone or Sentinel connection, {@link #call} refuses until the owner has read the server's
 * run id ({@link #callMasters}, then {@link #identified()}), so that no command reaches a failed-over or restarted
 * server before the owner could tell; {@link #onConnect} starts that check at once.
 */
final class RedisLink {

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisCache.class);
    private static final Duration WARN_INTERVAL = Duration.ofSeconds(10);
    private static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(10);
    private static final Delay RECONNECT_DELAY =
            Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS);

    private final ClientResources resources;
    private final CallTimer timer;
    private final AbstractRedisClient client;
    private final Function<AbstractRedisClient, CompletableFuture<StatefulConnection<byte[], byte[]>>> connector;
    private final Topology topology;
    private final String endpoint;
    private final Duration timeout;
    private final CircuitBreaker breaker;
    private final RateLimitedWarning warning;
    private final LongAdder errors;
    private final AtomicReference<CompletableFuture<StatefulConnection<byte[], byte[]>>> connection;
    private volatile boolean closed;
    private volatile boolean unidentified;
    private volatile Runnable onConnect = () -> { };
    private final RedisURI first;

    /**
     * Connects in the background.
     *
     * @param uris    one standalone or Sentinel URI, or (with {@code cluster}) one or more cluster seeds
     * @param cluster whether {@code uris} are seeds of a Redis Cluster
     * @param loops   pgroute's event loops for Lettuce's connections ({@code threads} of them; see
     *                {@link SharedEventLoops}) where Lettuce can use them; null: Lettuce's own threads
     * @throws IllegalArgumentException if the URIs do not fit the topology; nothing was started then
     */
    RedisLink(List<String> uris, boolean cluster, Duration timeout, CircuitBreaker breaker, LongAdder errors,
            LongSupplier clock, EventLoopGroup loops, int threads) {
        List<RedisURI> parsed = parse(uris, cluster);
        this.topology = cluster ? Topology.CLUSTER
                : parsed.get(0).getSentinels().isEmpty() ? Topology.STANDALONE : Topology.SENTINEL;
        this.endpoint = describe(parsed, topology);
        this.first = parsed.get(0);
        this.timeout = timeout;
        this.breaker = breaker;
        this.errors = errors;
        this.warning = new RateLimitedWarning(LOGGER, WARN_INTERVAL, clock);
        ClientResources.Builder builder = ClientResources.builder().reconnectDelay(RECONNECT_DELAY);
        Optional<EventLoopGroupProvider> shared = SharedEventLoops.of(loops, threads);
        shared.ifPresent(builder::eventLoopGroupProvider);
        this.resources = builder.build();
        this.timer = new CallTimer(shared.isPresent() ? loops : null, resources.eventExecutorGroup());
        if (cluster) {
            RedisClusterClient clusterClient = RedisClusterClient.create(resources, parsed);
            clusterClient.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .enablePeriodicRefresh(TOPOLOGY_REFRESH)
                            .build())
                    .build());
            this.client = clusterClient;
            // connectAsync needs the topology loaded; the synchronous connect() would load it itself
            this.connector = each -> ((RedisClusterClient) each).refreshPartitionsAsync().toCompletableFuture()
                    .thenCompose(loaded -> ((RedisClusterClient) each).connectAsync(ByteArrayCodec.INSTANCE))
                    .thenApply(connected -> connected);
        } else {
            RedisClient redisClient = RedisClient.create(resources);
            redisClient.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .build());
            redisClient.addListener(new RedisConnectionStateListener() {
                @Override
                public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                    unidentified = true;
                    onConnect.run();
                }
            });
            this.client = redisClient;
            RedisURI uri = parsed.get(0);
            this.connector = each -> ((RedisClient) each).connectAsync(ByteArrayCodec.INSTANCE, uri)
                    .toCompletableFuture().thenApply(connected -> connected);
        }
        this.connection = new AtomicReference<>(connector.apply(client));
    }

    /** Runs {@code command} on the connection under the breaker and the timeout; {@code what} names it in logs. */
    <T> CompletableFuture<T> call(String what,
            Function<RedisClusterAsyncCommands<byte[], byte[]>, CompletionStage<T>> command) {
        if (unidentified && !closed) {
            return CompletableFuture.failedFuture(new CacheUnavailableException("run id unknown since (re)connect"));
        }
        return guarded(what, timeout, connected -> command.apply(commands(connected)));
    }

    /**
     * Runs {@code command} on every master as one call (one breaker permit, one timeout); completes with the replies
     * by master: {@code <node id>@<host>:<port>} in a cluster (failed masters skipped), the endpoint otherwise.
     * Fails if any master fails, or when the replies take longer than {@code within}: a control call, such as the
     * run id check, answers no client and is not held to the data calls' {@code timeout}.
     */
    <T> CompletableFuture<Map<String, T>> callMasters(String what, Duration within,
            Function<RedisClusterAsyncCommands<byte[], byte[]>, CompletionStage<T>> command) {
        return guarded(what, within, connected -> {
            Map<String, CompletableFuture<T>> replies = new TreeMap<>();
            if (connected instanceof StatefulRedisClusterConnection<byte[], byte[]> clusterConnection) {
                for (RedisClusterNode each : clusterConnection.getPartitions()) {
                    if (each.is(RedisClusterNode.NodeFlag.UPSTREAM) && !each.is(RedisClusterNode.NodeFlag.FAIL)
                            && !each.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL)) {
                        replies.put(each.getNodeId() + "@" + each.getUri().getHost() + ":" + each.getUri().getPort(),
                                clusterConnection.getConnectionAsync(each.getNodeId())
                                        .thenCompose(node -> command.apply(node.async())));
                    }
                }
            } else {
                replies.put(endpoint, command.apply(commands(connected)).toCompletableFuture());
            }
            return CompletableFuture.allOf(replies.values().toArray(CompletableFuture[]::new))
                    .thenApply(ignored -> replies.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                            each -> each.getValue().join(), (first, second) -> first, TreeMap::new)));
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

    /**
     * Subscribes {@code listener} to {@code channel} on a connection of its own to the standalone server; the caller
     * closes it before this link.
     */
    RedisSubscription subscribe(byte[] channel, RedisSubscription.Listener listener) {
        if (topology != Topology.STANDALONE) {
            throw new IllegalStateException("subscriptions need a standalone server, not " + topology);
        }
        return new RedisSubscription(resources, first, channel, timeout, timer, listener);
    }

    /**
     * Runs {@code task} after {@code delay}: on the calling thread's event loop when it is one of pgroute's (see
     * {@link CallTimer}), else on a Lettuce event executor; a no-op once closed.
     */
    void schedule(Runnable task, Duration delay) {
        if (closed) {
            return;
        }
        try {
            timer.schedule(task, delay);
        } catch (RejectedExecutionException e) {
            LOGGER.debug("not scheduling {}: executor shut down", task);
        }
    }

    /** Runs {@code task} every {@code period}, first right away. */
    Future<?> every(Runnable task, Duration period) {
        return resources.eventExecutorGroup()
                .scheduleWithFixedDelay(task, 0, period.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Runs {@code task} whenever a standalone or Sentinel connection was (re)established: check the run id. */
    void onConnect(Runnable task) {
        onConnect = task;
    }

    /** The owner has read the run id of the server(s) now connected: {@link #call} may proceed. */
    void identified() {
        unidentified = false;
    }

    /** Whether the run id of the server(s) now connected was read since the last (re)connect. */
    boolean knowsRunId() {
        return !unidentified;
    }

    Topology topology() {
        return topology;
    }

    boolean closed() {
        return closed;
    }

    /** Closes the connection, then the client and its threads; completes when they are gone. */
    CompletableFuture<Void> closeAsync() {
        closed = true;
        CompletableFuture<Void> connectionClosed = connection.get()
                .thenCompose(StatefulConnection::closeAsync)
                .handle((ignored, failure) -> null);
        return connectionClosed
                .thenCompose(ignored -> client.shutdownAsync(0, 2, TimeUnit.SECONDS))
                .thenCompose(ignored -> {
                    CompletableFuture<Void> result = new CompletableFuture<>();
                    resources.shutdown(0, 2, TimeUnit.SECONDS).addListener(done -> result.complete(null));
                    return result;
                });
    }

    private <T> CompletableFuture<T> guarded(String what, Duration within,
            Function<StatefulConnection<byte[], byte[]>, CompletionStage<T>> command) {
        if (closed) {
            return CompletableFuture.failedFuture(new CacheUnavailableException("cache closed"));
        }
        if (!breaker.tryAcquire()) {
            errors.increment();
            return CompletableFuture.failedFuture(new CacheUnavailableException("circuit breaker open"));
        }
        CompletableFuture<StatefulConnection<byte[], byte[]>> used = connection();
        CompletableFuture<T> result = timer.bound(used.thenCompose(command), within);
        return result.whenComplete((value, failure) -> {
            if (failure == null) {
                breaker.onSuccess();
                return;
            }
            errors.increment();
            boolean opened = breaker.onFailure();
            warning.warn("redis " + what + " on " + endpoint + " failed: "
                    + describe(failure) + (opened ? "; circuit breaker opened" : ""));
            if (topology == Topology.SENTINEL && unwrap(failure) instanceof RedisReadOnlyException) {
                reconnect(used);
            }
        });
    }

    private CompletableFuture<StatefulConnection<byte[], byte[]>> connection() {
        CompletableFuture<StatefulConnection<byte[], byte[]>> current = connection.get();
        if (!current.isCompletedExceptionally() || closed) {
            return current;
        }
        return reconnect(current);
    }

    /** Replaces {@code stale} (unless someone else already did) by a new connection, closing the old one. */
    private CompletableFuture<StatefulConnection<byte[], byte[]>> reconnect(
            CompletableFuture<StatefulConnection<byte[], byte[]>> stale) {
        CompletableFuture<StatefulConnection<byte[], byte[]>> fresh = new CompletableFuture<>();
        if (!connection.compareAndSet(stale, fresh)) {
            return connection.get();
        }
        stale.thenAccept(StatefulConnection::closeAsync);
        connector.apply(client).whenComplete((value, failure) -> {
            if (failure != null) {
                fresh.completeExceptionally(failure);
            } else {
                fresh.complete(value);
            }
        });
        return fresh;
    }

    private static RedisClusterAsyncCommands<byte[], byte[]> commands(StatefulConnection<byte[], byte[]> connected) {
        if (connected instanceof StatefulRedisClusterConnection<byte[], byte[]> clusterConnection) {
            return clusterConnection.async();
        }
        return ((StatefulRedisConnection<byte[], byte[]>) connected).async();
    }

    private static List<RedisURI> parse(List<String> uris, boolean cluster) {
        if (uris == null || uris.isEmpty()) {
            throw new IllegalArgumentException("no Redis URI given");
        }
        if (uris.size() > 1 && !cluster) {
            throw new IllegalArgumentException(uris.size() + " Redis URIs given but cluster mode is off: several URIs"
                    + " are the seeds of a Redis Cluster; for Sentinel give one redis-sentinel:// URI naming every"
                    + " sentinel (redis-sentinel://host:port,host:port/0#master)");
        }
        List<RedisURI> result = uris.stream().map(RedisURI::create).toList();
        for (RedisURI each : result) {
            boolean sentinel = !each.getSentinels().isEmpty();
            if (cluster && sentinel) {
                throw new IllegalArgumentException("Redis Cluster seeds must be redis:// or rediss:// URIs,"
                        + " not redis-sentinel://");
            }
            if (sentinel && (each.getSentinelMasterId() == null || each.getSentinelMasterId().isBlank())) {
                throw new IllegalArgumentException("a redis-sentinel:// URI must name the master after '#'");
            }
        }
        return result;
    }

    /** host:port, {@code master <name> via sentinels host:port,...} or {@code cluster host:port,...}; no secrets. */
    private static String describe(List<RedisURI> uris, Topology topology) {
        RedisURI first = uris.get(0);
        return switch (topology) {
            case CLUSTER -> "cluster " + uris.stream().map(RedisLink::address).collect(Collectors.joining(","));
            case SENTINEL -> "master " + first.getSentinelMasterId() + " via sentinels "
                    + first.getSentinels().stream().map(RedisLink::address).collect(Collectors.joining(","));
            case STANDALONE -> address(first);
        };
    }

    private static String address(RedisURI uri) {
        return uri.getHost() + ":" + uri.getPort();
    }

    /** How the Redis servers are arranged; chosen from the URIs. */
    enum Topology {
        /** One server. */
        STANDALONE,
        /** A master found through sentinels; a failover changes it. */
        SENTINEL,
        /** Keys spread over several masters by hash slot. */
        CLUSTER
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
