package io.pgroute.localcluster;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The servers of an embedded {@link LocalCluster}: PostgreSQL and Redis processes started by {@link ClusterLauncher}
 * from bundled binaries. Only processes this instance started are ever signalled.
 */
final class ProcessNodes implements ClusterNodes {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final List<PostgresServer> servers = new CopyOnWriteArrayList<>();
    private volatile RedisServer redisServer;

    void adopt(PostgresServer server) {
        servers.add(server);
    }

    void adopt(RedisServer server) {
        redisServer = server;
    }

    @Override
    public List<PgNode> postgres() {
        return servers.stream().map(PostgresServer::node).toList();
    }

    @Override
    public List<PgNode> runningReplicas() {
        return servers.stream().skip(1).filter(each -> each.postmaster().isPresent()).map(PostgresServer::node)
                .toList();
    }

    @Override
    public Optional<RedisNode> redis() {
        return Optional.ofNullable(redisServer).map(RedisServer::node);
    }

    @Override
    public List<ProcessHandle> processes() {
        List<ProcessHandle> result = new ArrayList<>();
        servers.forEach(each -> result.addAll(each.processTree()));
        Optional.ofNullable(redisServer).ifPresent(each -> result.addAll(each.processTree()));
        return result;
    }

    @Override
    public void stop(PgNode node) {
        server(node).stop();
    }

    @Override
    public void start(PgNode node) {
        PostgresServer server = server(node);
        try {
            server.start(START_TIMEOUT);
        } catch (IOException e) {
            throw new LocalClusterException("cannot start " + node + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void restartOn(PgNode node, java.nio.file.Path binariesJar) {
        try {
            server(node).restartOn(binariesJar, START_TIMEOUT);
        } catch (IOException e) {
            throw new LocalClusterException("cannot restart " + node + " on " + binariesJar + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void killRedis() {
        RedisServer redis = requireRedis();
        try {
            redis.kill(START_TIMEOUT);
        } catch (IOException e) {
            throw new LocalClusterException("cannot kill redis: " + e.getMessage(), e);
        }
    }

    @Override
    public void startRedis() {
        RedisServer redis = requireRedis();
        try {
            redis.stop();
            redis.start(redis.node().port(), START_TIMEOUT);
        } catch (IOException e) {
            throw new LocalClusterException("cannot start redis again: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        List<PostgresServer> reversed = new ArrayList<>(servers);
        Collections.reverse(reversed);
        reversed.forEach(PostgresServer::stop);
        RedisServer redis = redisServer;
        if (redis != null) {
            redis.stop();
        }
    }

    private RedisServer requireRedis() {
        RedisServer result = redisServer;
        if (result == null) {
            throw new LocalClusterException("this cluster has no Redis");
        }
        return result;
    }

    private PostgresServer server(PgNode node) {
        Objects.requireNonNull(node, "node");
        return servers.stream().filter(each -> each.name().equals(node.name())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(node + " is not a node of this cluster"));
    }
}
