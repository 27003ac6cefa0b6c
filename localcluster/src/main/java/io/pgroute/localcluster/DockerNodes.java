package io.pgroute.localcluster;

import com.github.dockerjava.api.DockerClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;

/**
 * The servers of a docker-mode {@link LocalCluster}: containers started by {@link DockerLauncher}. Each publishes its
 * port on a host port of 127.0.0.1 chosen by us rather than by Docker, so that {@code docker stop} / {@code docker
 * start} of the same container (what {@link #stop}, {@link #start}, {@link #killRedis} and {@link #startRedis} do)
 * keeps the port the proxy under test was configured with; an ephemeral mapping would change on restart.
 * {@link #close()} removes the containers and their network; Testcontainers' reaper does the same if the JVM dies.
 */
final class DockerNodes implements ClusterNodes {

    private static final Logger LOGGER = LoggerFactory.getLogger(DockerNodes.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final int STOP_TIMEOUT_SECONDS = 30;
    private static final int LOG_TAIL_LINES = 40;
    private static final String DATABASE = "postgres";

    /** A started container and the node it serves. */
    record Running<N>(N node, GenericContainer<?> container) {
    }

    private final PgClient client;
    private final List<Running<PgNode>> postgres = new CopyOnWriteArrayList<>();
    private volatile Running<RedisNode> redis;
    private volatile Network network;
    private volatile boolean closed;

    DockerNodes(PgClient client) {
        this.client = client;
    }

    synchronized void adopt(Network created) throws IOException {
        network = created;
        checkOpen(created);
    }

    synchronized void adoptPostgres(PgNode node, GenericContainer<?> container) throws IOException {
        postgres.add(new Running<>(node, container));
        checkOpen(container);
    }

    synchronized void adoptRedis(RedisNode node, GenericContainer<?> container) throws IOException {
        redis = new Running<>(node, container);
        checkOpen(container);
    }

    @Override
    public List<PgNode> postgres() {
        return postgres.stream().map(Running::node).toList();
    }

    @Override
    public List<PgNode> runningReplicas() {
        return postgres.stream().skip(1).filter(each -> each.container().isRunning()).map(Running::node).toList();
    }

    @Override
    public Optional<RedisNode> redis() {
        return Optional.ofNullable(redis).map(Running::node);
    }

    /** None: the servers run in containers, not as children of this JVM. */
    @Override
    public List<ProcessHandle> processes() {
        return List.of();
    }

    /** {@code docker stop}: the image's stop signal (SIGINT) is PostgreSQL's fast shutdown. */
    @Override
    public void stop(PgNode node) {
        GenericContainer<?> container = container(node);
        docker(container).stopContainerCmd(container.getContainerId()).withTimeout(STOP_TIMEOUT_SECONDS).exec();
        LOGGER.info("stopped {}", node);
    }

    /** {@code docker start} of the stopped container: same data, same host port; returns once it takes queries. */
    @Override
    public void start(PgNode node) {
        GenericContainer<?> container = container(node);
        docker(container).startContainerCmd(container.getContainerId()).exec();
        awaitOrExplain(container, node + " to accept connections again",
                () -> client.queryBoolean(node, DATABASE, "SELECT true"));
        LOGGER.info("started {} again", node);
    }

    /** Not here: a container runs its image's one release. */
    @Override
    public void restartOn(PgNode node, java.nio.file.Path binariesJar) {
        throw new UnsupportedOperationException("docker mode runs one PostgreSQL image for every node");
    }

    /** {@code docker kill} (SIGKILL) of the Redis container; its data is gone (no persistence). */
    @Override
    public void killRedis() {
        Running<RedisNode> running = requireRedis();
        GenericContainer<?> container = running.container();
        if (container.isRunning()) {
            docker(container).killContainerCmd(container.getContainerId()).exec();
        }
        awaitOrExplain(container, "redis to die", () -> !container.isRunning());
    }

    /** Starts the Redis container again, empty, on the host port it had. */
    @Override
    public void startRedis() {
        Running<RedisNode> running = requireRedis();
        GenericContainer<?> container = running.container();
        if (container.isRunning()) {
            killRedis();
        }
        docker(container).startContainerCmd(container.getContainerId()).exec();
        int port = running.node().port();
        awaitOrExplain(container, "redis to answer PING", () -> "PONG".equals(RedisWire.command(port, "PING")));
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        List<Running<PgNode>> reversed = new ArrayList<>(postgres);
        Collections.reverse(reversed);
        reversed.forEach(each -> remove(each.node().toString(), each.container()));
        Running<RedisNode> running = redis;
        if (running != null) {
            remove("redis", running.container());
        }
        Network created = network;
        if (created != null) {
            try {
                created.close();
            } catch (RuntimeException e) {
                LOGGER.warn("cannot remove docker network {}: {}", created.getId(), e.toString());
            }
        }
    }

    /** The last lines the container wrote, for error messages; empty if Docker cannot say. */
    static String logTail(GenericContainer<?> container) {
        try {
            List<String> lines = container.getLogs().lines().toList();
            List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
            return "\n--- last lines of " + container.getDockerImageName() + " ---\n" + String.join("\n", tail);
        } catch (RuntimeException e) {
            return "\n(container log unavailable: " + e + ")";
        }
    }

    private void checkOpen(AutoCloseable created) throws IOException {
        if (!closed) {
            return;
        }
        try {
            created.close();
        } catch (Exception e) {
            LOGGER.warn("cannot remove {} created while closing: {}", created, e.toString());
        }
        throw new IOException("local cluster was closed while starting");
    }

    private static void remove(String what, GenericContainer<?> container) {
        try {
            container.stop();
        } catch (RuntimeException e) {
            LOGGER.warn("cannot remove the container of {}: {}", what, e.toString());
        }
    }

    private static void awaitOrExplain(GenericContainer<?> container, String what,
            Callable<Boolean> condition) {
        try {
            Deadline.in(START_TIMEOUT).await(what, condition);
        } catch (Deadline.DeadlineExceededException e) {
            throw new LocalClusterException(e.getMessage() + logTail(container), e);
        }
    }

    private static DockerClient docker(GenericContainer<?> container) {
        return container.getDockerClient();
    }

    private Running<RedisNode> requireRedis() {
        Running<RedisNode> result = redis;
        if (result == null) {
            throw new LocalClusterException("this cluster has no Redis");
        }
        return result;
    }

    private GenericContainer<?> container(PgNode node) {
        Objects.requireNonNull(node, "node");
        return postgres.stream().filter(each -> each.node().name().equals(node.name())).map(Running::container)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(node + " is not a node of this cluster"));
    }
}
