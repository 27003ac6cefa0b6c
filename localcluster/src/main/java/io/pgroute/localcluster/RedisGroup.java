package io.pgroute.localcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several {@link RedisServer}s sharing one temporary base directory (claimed like a {@link LocalCluster}'s, so an
 * orphan is deleted later), one set of ports and one JVM shutdown hook; the common part of {@link LocalRedisCluster}
 * and {@link LocalRedisSentinel}. {@link #close()} stops the servers in reverse order and deletes the directory.
 */
final class RedisGroup implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisGroup.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final int PORT_ATTEMPTS = 5;
    private static final int CLUSTER_BUS_OFFSET = 10000;

    private final String name;
    private final Path baseDir;
    private final Path binary;
    private final FreePorts ports = new FreePorts();
    private final List<RedisServer> servers = new CopyOnWriteArrayList<>();
    private final Thread shutdownHook;
    private volatile boolean closed;

    private RedisGroup(String name, Path baseDir, Path binary) {
        this.name = name;
        this.baseDir = baseDir;
        this.binary = binary;
        this.shutdownHook = new Thread(this::close, "pgroute-" + name + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A new temporary base directory and the Redis binary; {@code name} appears in logs and thread names. */
    static RedisGroup create(String name) throws IOException {
        Path binary = RedisBinary.locate();
        Path tempRoot = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        StaleClusters.deleteOrphans(tempRoot);
        Path baseDir = Files.createTempDirectory(tempRoot, StaleClusters.PREFIX);
        try {
            StaleClusters.claim(baseDir);
        } catch (IOException e) {
            DirectoryTree.deleteQuietly(baseDir);
            throw e;
        }
        return new RedisGroup(name, baseDir, binary);
    }

    /** Creates (owner-only) and returns the directory of the server called {@code server}. */
    Path directory(String server) throws IOException {
        Path result = baseDir.resolve(server);
        Files.createDirectory(result,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return result;
    }

    /**
     * Starts a server in the directory made by {@link #directory} on a free port (another one if it was taken
     * meanwhile) and waits until it answers PING.
     *
     * @param clusterBus also keep the port 10000 above free, for a Redis Cluster node's bus
     */
    RedisServer start(Path dir, List<String> leadingArgs, List<String> trailingArgs, boolean clusterBus)
            throws IOException {
        RedisServer result = new RedisServer(binary, dir, leadingArgs, trailingArgs);
        servers.add(result);
        for (int attempt = 1; ; attempt++) {
            checkOpen();
            try {
                result.start(clusterBus ? ports.nextWithCompanion(CLUSTER_BUS_OFFSET) : ports.next(), START_TIMEOUT);
                checkOpen();
                return result;
            } catch (PortInUseException e) {
                if (attempt == PORT_ATTEMPTS) {
                    throw e;
                }
                LOGGER.warn("port of {} in {} was taken meanwhile; retrying on another", dir.getFileName(), name);
            }
        }
    }

    /** The server listening on {@code node}'s port. */
    RedisServer server(RedisNode node) {
        return servers.stream().filter(each -> each.node().equals(node)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(node + " is not a server of this " + name));
    }

    /** The wrapper and server processes of every running server. */
    List<ProcessHandle> processes() {
        List<ProcessHandle> result = new ArrayList<>();
        servers.forEach(each -> result.addAll(each.processTree()));
        return result;
    }

    /** Stops every server, last started first, and deletes the base directory. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                LOGGER.debug("JVM is shutting down; hook stays registered");
            }
        }
        List<RedisServer> reversed = new ArrayList<>(servers);
        Collections.reverse(reversed);
        reversed.forEach(RedisServer::stop);
        DirectoryTree.deleteQuietly(baseDir);
        LOGGER.info("closed {}; deleted {}", name, baseDir);
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException(name + " was closed while starting");
        }
    }
}
