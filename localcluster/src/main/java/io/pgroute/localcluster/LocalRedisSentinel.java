package io.pgroute.localcluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway Redis primary with one replica, watched by one Sentinel (quorum 1), on free ports of 127.0.0.1, for
 * failover tests: {@link #killPrimary()} crashes the primary and the sentinel promotes the replica within a few
 * seconds (down after {@value #DOWN_AFTER_MILLIS} ms).
 *
 * <pre>{@code
 * try (LocalRedisSentinel redis = LocalRedisSentinel.start()) {
 *     String uri = redis.uri();              // redis-sentinel://127.0.0.1:port/0#pgroute
 *     RedisNode old = redis.killPrimary();
 *     // wait until !redis.primary().equals(old)
 * }
 * }</pre>
 *
 * <p>{@link #start()} returns once the replica streams and the sentinel knows it; every wait has a deadline. Servers
 * die with the JVM; {@link #close()} (also a shutdown hook) stops them and deletes their directories.
 */
public final class LocalRedisSentinel implements AutoCloseable {

    /** The name the sentinel monitors the primary under. */
    public static final String MASTER_NAME = "pgroute";

    private static final Logger LOGGER = LoggerFactory.getLogger(LocalRedisSentinel.class);
    private static final int DOWN_AFTER_MILLIS = 1000;
    private static final int FAILOVER_TIMEOUT_MILLIS = 3000;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

    private final RedisGroup group;
    private RedisServer sentinel;

    private LocalRedisSentinel(RedisGroup group) {
        this.group = group;
    }

    /** Starts primary, replica and sentinel and waits until the sentinel could fail over. */
    public static LocalRedisSentinel start() throws IOException {
        LocalRedisSentinel result = new LocalRedisSentinel(RedisGroup.create("redis sentinel group"));
        try {
            result.launch();
            return result;
        } catch (IOException | RuntimeException | Error e) {
            result.close();
            if (e instanceof LocalClusterException) {
                throw new IOException(e.getMessage(), e);
            }
            throw e;
        }
    }

    /** {@code redis-sentinel://127.0.0.1:port/0#pgroute}: where a client asks for the current primary. */
    public String uri() {
        RedisNode node = sentinel();
        return "redis-sentinel://" + node.host() + ":" + node.port() + "/0#" + MASTER_NAME;
    }

    /** The sentinel itself. */
    public RedisNode sentinel() {
        return sentinel.node();
    }

    /** The primary as the sentinel names it now ({@code SENTINEL GET-MASTER-ADDR-BY-NAME}). */
    public RedisNode primary() {
        try {
            Object reply = RedisWire.command(sentinel().port(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME);
            if (!(reply instanceof List<?> address) || address.size() != 2) {
                throw new LocalClusterException("sentinel knows no primary " + MASTER_NAME + ": " + reply);
            }
            return new RedisNode((String) address.get(0), Integer.parseInt((String) address.get(1)));
        } catch (IOException e) {
            throw new LocalClusterException("cannot ask the sentinel for the primary: " + e.getMessage(), e);
        }
    }

    /**
     * Kills the current primary's {@code redis-server} with SIGKILL (as a crash would) and returns it; the sentinel
     * notices after {@value #DOWN_AFTER_MILLIS} ms and promotes the replica. The killed node stays down.
     */
    public RedisNode killPrimary() {
        RedisNode result = primary();
        try {
            group.server(result).kill(KILL_TIMEOUT);
        } catch (IOException e) {
            throw new LocalClusterException("cannot kill " + result.uri() + ": " + e.getMessage(), e);
        }
        return result;
    }

    /** Every process of this group that is running (wrappers and servers). */
    public List<ProcessHandle> processes() {
        return group.processes();
    }

    /** Stops sentinel, replica and primary and deletes their directories. Idempotent. */
    @Override
    public void close() {
        group.close();
    }

    private void launch() throws IOException {
        long started = System.nanoTime();
        RedisServer primary = group.start(group.directory("primary"), List.of(), List.of(), false);
        int primaryPort = primary.node().port();
        RedisServer replica = group.start(group.directory("replica"), List.of(),
                List.of("--replicaof", "127.0.0.1", Integer.toString(primaryPort)), false);
        int replicaPort = replica.node().port();
        Deadline deadline = Deadline.in(READY_TIMEOUT);
        await(deadline, replica, "the replica to stream from the primary", () -> "up".equals(RedisWire.infoField(
                RedisWire.text(replicaPort, "INFO", "replication"), "master_link_status")));

        Path dir = group.directory("sentinel");
        Path config = dir.resolve("sentinel.conf");
        Files.writeString(config, String.join("\n",
                "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + primaryPort + " 1",
                "sentinel down-after-milliseconds " + MASTER_NAME + " " + DOWN_AFTER_MILLIS,
                "sentinel failover-timeout " + MASTER_NAME + " " + FAILOVER_TIMEOUT_MILLIS,
                "sentinel parallel-syncs " + MASTER_NAME + " 1", ""), StandardCharsets.UTF_8);
        sentinel = group.start(dir, List.of(config.toString(), "--sentinel"), List.of(), false);
        await(deadline, sentinel, "the sentinel to see the replica 127.0.0.1:" + replicaPort,
                () -> knowsHealthyReplica(replicaPort));
        LOGGER.info("redis sentinel group up in {} ms: primary {}, replica {}, sentinel {}",
                (System.nanoTime() - started) / 1_000_000, primary.node().uri(), replica.node().uri(), uri());
    }

    /** {@code SENTINEL REPLICAS}: one flat field/value list per replica; it must be linked and not down. */
    private boolean knowsHealthyReplica(int replicaPort) throws IOException {
        Object reply = RedisWire.command(sentinel().port(), "SENTINEL", "REPLICAS", MASTER_NAME);
        if (!(reply instanceof List<?> replicas)) {
            return false;
        }
        for (Object each : replicas) {
            List<?> fields = (List<?>) each;
            String port = null;
            String flags = null;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("port".equals(fields.get(i))) {
                    port = (String) fields.get(i + 1);
                } else if ("flags".equals(fields.get(i))) {
                    flags = (String) fields.get(i + 1);
                }
            }
            if (Integer.toString(replicaPort).equals(port) && "slave".equals(flags)) {
                return true;
            }
        }
        return false;
    }

    private static void await(Deadline deadline, RedisServer server, String what,
            Callable<Boolean> condition) {
        try {
            deadline.await(what, condition);
        } catch (Deadline.DeadlineExceededException e) {
            throw new LocalClusterException(e.getMessage() + server.logTail(), e);
        }
    }
}
