package io.pgroute.localcluster;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway Redis Cluster of masters only (no replicas), on free ports of 127.0.0.1, from the same
 * {@code redis-server} as {@link LocalCluster}'s Redis. The 16384 slots are split into equal ranges, in order:
 * master 0 owns the lowest.
 *
 * <pre>{@code
 * try (LocalRedisCluster redis = LocalRedisCluster.start(3)) {
 *     List<String> seeds = redis.uris();
 * }
 * }</pre>
 *
 * <p>Set up by hand, without {@code redis-cli}: each node gets its slots ({@code CLUSTER ADDSLOTS}) and a distinct
 * config epoch, the first meets the others ({@code CLUSTER MEET}), then every node must report
 * {@code cluster_state:ok}, all within a deadline. Servers die with the JVM; {@link #close()} (also a shutdown hook)
 * stops them and deletes their directories. Each node also needs its bus port (port + 10000) free.
 */
public final class LocalRedisCluster implements AutoCloseable {

    /** Number of hash slots of a Redis Cluster. */
    public static final int SLOTS = 16384;

    private static final Logger LOGGER = LoggerFactory.getLogger(LocalRedisCluster.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final String NODE_TIMEOUT_MILLIS = "2000";

    private final RedisGroup group;
    private final List<RedisServer> masters = new ArrayList<>();

    private LocalRedisCluster(RedisGroup group) {
        this.group = group;
    }

    /** Starts {@code masters} (at least 1) nodes, assigns all slots and waits until the cluster is ok. */
    public static LocalRedisCluster start(int masters) throws IOException {
        if (masters < 1) {
            throw new IllegalArgumentException("a cluster needs at least one master: " + masters);
        }
        LocalRedisCluster result = new LocalRedisCluster(RedisGroup.create("redis cluster"));
        try {
            result.launch(masters);
            return result;
        } catch (IOException | RuntimeException | Error e) {
            result.close();
            if (e instanceof LocalClusterException) {
                throw new IOException(e.getMessage(), e);
            }
            throw e;
        }
    }

    /** The masters, in slot order. */
    public List<RedisNode> masters() {
        return masters.stream().map(RedisServer::node).toList();
    }

    /** {@code redis://127.0.0.1:port} of every master: seed URIs for a cluster client. */
    public List<String> uris() {
        return masters().stream().map(RedisNode::uri).toList();
    }

    /**
     * Stops {@code master} (SIGTERM) and starts it again on the same port: empty, with a new run id, but the same
     * node id and slots (kept in its {@code nodes.conf}), as after a crash and restart; waits until the cluster is
     * ok again.
     */
    public void restart(RedisNode master) {
        RedisServer server = group.server(master);
        server.stop();
        try {
            server.start(master.port(), READY_TIMEOUT);
        } catch (IOException e) {
            throw new LocalClusterException("cannot restart " + master.uri() + ": " + e.getMessage(), e);
        }
        awaitOk(Deadline.in(READY_TIMEOUT));
        LOGGER.info("restarted cluster master {}", master.uri());
    }

    /** Every process of this cluster that is running (wrappers and servers). */
    public List<ProcessHandle> processes() {
        return group.processes();
    }

    /** Stops the nodes and deletes their directories. Idempotent. */
    @Override
    public void close() {
        group.close();
    }

    private void launch(int count) throws IOException {
        long started = System.nanoTime();
        for (int i = 0; i < count; i++) {
            masters.add(group.start(group.directory("master" + i), List.of(), List.of("--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", NODE_TIMEOUT_MILLIS), true));
        }
        for (int i = 0; i < count; i++) {
            int port = masters.get(i).node().port();
            RedisWire.command(port, "CLUSTER", "SET-CONFIG-EPOCH", Integer.toString(i + 1));
            RedisWire.command(port, slotsCommand(i * SLOTS / count, (i + 1) * SLOTS / count - 1));
        }
        int first = masters.get(0).node().port();
        for (RedisServer each : masters.subList(1, count)) {
            RedisWire.command(first, "CLUSTER", "MEET", "127.0.0.1", Integer.toString(each.node().port()));
        }
        awaitOk(Deadline.in(READY_TIMEOUT));
        LOGGER.info("redis cluster up in {} ms: {}", (System.nanoTime() - started) / 1_000_000, uris());
    }

    /** CLUSTER ADDSLOTS with every slot of {@code first..last} (Redis 6.2 has no ADDSLOTSRANGE). */
    private static String[] slotsCommand(int first, int last) {
        String[] result = new String[last - first + 3];
        result[0] = "CLUSTER";
        result[1] = "ADDSLOTS";
        for (int slot = first; slot <= last; slot++) {
            result[slot - first + 2] = Integer.toString(slot);
        }
        return result;
    }

    private void awaitOk(Deadline deadline) {
        for (RedisServer each : masters) {
            int port = each.node().port();
            try {
                deadline.await(each.node().uri() + " to report cluster_state:ok with " + masters.size() + " nodes",
                        () -> {
                            String info = RedisWire.text(port, "CLUSTER", "INFO");
                            return "ok".equals(RedisWire.infoField(info, "cluster_state"))
                                    && Integer.toString(masters.size())
                                            .equals(RedisWire.infoField(info, "cluster_known_nodes"))
                                    && Integer.toString(SLOTS)
                                            .equals(RedisWire.infoField(info, "cluster_slots_ok"));
                        });
            } catch (Deadline.DeadlineExceededException e) {
                throw new LocalClusterException(e.getMessage() + each.logTail(), e);
            }
        }
    }
}
