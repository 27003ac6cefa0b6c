package io.pgroute.localcluster;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * The start sequence of a docker-mode {@link LocalCluster}, from the official images:
 *
 * <pre>
 * network ─ primary postgres:V (alias "primary", pg_hba lets replication in) ─ per replica: pg_basebackup -R from
 *   "primary", then postgres as a streaming standby ─ await streaming ─ probe row visible everywhere ─ redis:7
 * </pre>
 *
 * Every container publishes its port on 127.0.0.1 at a host port from {@link FreePorts} (see {@link DockerNodes}
 * for why), and is handed to {@link DockerNodes} as soon as it runs, so a failed start removes what it made.
 * Settings are those of the embedded cluster, passed as {@code -c} flags, except that the server listens on the
 * container's network and keeps its Unix socket (the image's entrypoint initialises the database through it).
 */
final class DockerLauncher {

    /**
     * Where the images up to 17 keep the data directory; 18's keep it under {@code /var/lib/postgresql/18/docker}.
     * The scripts read {@code $PGDATA}, the node's path is taken from the image's environment ({@link #dataDir}).
     */
    static final String PGDATA = "/var/lib/postgresql/data";

    private static final Logger LOGGER = LoggerFactory.getLogger(DockerLauncher.class);
    private static final int PG_PORT = 5432;
    private static final int REDIS_PORT = 6379;
    private static final String PRIMARY_ALIAS = "primary";
    private static final String REDIS_IMAGE = "redis:7";
    private static final Duration PG_STARTUP_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration REDIS_STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STREAMING_TIMEOUT = Duration.ofSeconds(60);
    private static final int PORT_ATTEMPTS = 5;
    private static final String DATABASE = "postgres";

    /** Run by the image's entrypoint after initdb: replicas connect over the container network. */
    private static final String REPLICATION_HBA_SCRIPT = """
            #!/bin/sh
            echo 'host replication all all md5' >> "$PGDATA/pg_hba.conf"
            """;

    /**
     * A replica's command, as root: on first start copy the primary (pg_basebackup -R writes standby.signal and
     * primary_conninfo; ours, with the application_name, is appended and wins), then hand over to the image's
     * entrypoint, which drops to user postgres. A restarted container skips the copy.
     */
    private static final String REPLICA_SCRIPT = """
            set -eu
            if [ ! -s "$PGDATA/PG_VERSION" ]; then
              mkdir -p "$PGDATA"
              chown postgres:postgres "$PGDATA"
              chmod 700 "$PGDATA"
              attempt=1
              until gosu postgres pg_basebackup --pgdata="$PGDATA" --write-recovery-conf --wal-method=stream \\
                  --checkpoint=fast --dbname="$PGROUTE_PRIMARY_CONNINFO"; do
                if [ "$attempt" -ge 30 ]; then echo "pg_basebackup failed $attempt times" >&2; exit 1; fi
                attempt=$((attempt + 1))
                rm -rf "${PGDATA:?}"/*
                sleep 1
              done
              printf '%s' "$PGROUTE_STANDBY_SETTING" >> "$PGDATA/postgresql.auto.conf"
            fi
            exec docker-entrypoint.sh "$@"
            """;

    private final LocalCluster cluster;
    private final DockerNodes nodes;
    private final DockerImageName postgresImage;
    private final int replicaCount;
    private final boolean withRedis;
    private final List<String> postgresCommand;

    DockerLauncher(LocalCluster cluster, DockerNodes nodes, String postgresVersion, int replicaCount,
            boolean withRedis, Map<String, String> settings) {
        this.cluster = cluster;
        this.nodes = nodes;
        this.postgresImage = DockerImageName.parse("postgres:" + postgresVersion);
        this.replicaCount = replicaCount;
        this.withRedis = withRedis;
        this.postgresCommand = postgresCommand(settings);
    }

    void launch() throws IOException {
        long started = System.nanoTime();
        Network network = Network.newNetwork();
        nodes.adopt(network);
        GenericContainer<?> primary = startOnFreePort("primary", port -> primaryContainer(network, port));
        nodes.adoptPostgres(node("primary", true, primary), primary);
        List<GenericContainer<?>> replicas = new ArrayList<>();
        for (int i = 1; i <= replicaCount; i++) {
            String name = "replica" + i;
            GenericContainer<?> replica = startOnFreePort(name, port -> replicaContainer(network, name, port));
            nodes.adoptPostgres(node(name, false, replica), replica);
            replicas.add(replica);
        }
        awaitStreaming(replicas);
        if (withRedis) {
            GenericContainer<?> redis = startOnFreePort("redis", this::redisContainer);
            nodes.adoptRedis(new RedisNode("127.0.0.1", redis.getMappedPort(REDIS_PORT)), redis);
        }
        LOGGER.info("local cluster up in {} ms from {}: primary {}, replicas {}, redis {}",
                (System.nanoTime() - started) / 1_000_000, postgresImage, cluster.primary(), cluster.replicas(),
                cluster.redis().map(RedisNode::uri).orElse("off"));
    }

    /** {@code postgres -c name=value …}: the embedded cluster's settings, adapted to a container. */
    static List<String> postgresCommand(Map<String, String> overrides) {
        Map<String, String> settings = PostgresConfig.sharedSettings(overrides);
        settings.remove("unix_socket_directories");
        settings.put("listen_addresses", "*");
        List<String> result = new ArrayList<>();
        result.add("postgres");
        settings.forEach((name, value) -> {
            result.add("-c");
            result.add(name + "=" + value);
        });
        return List.copyOf(result);
    }

    private GenericContainer<?> primaryContainer(Network network, int hostPort) {
        GenericContainer<?> result = new GenericContainer<>(postgresImage)
                .withNetwork(network)
                .withNetworkAliases(PRIMARY_ALIAS)
                .withEnv("POSTGRES_USER", cluster.superuser())
                .withEnv("POSTGRES_PASSWORD", cluster.superuserPassword())
                .withEnv("POSTGRES_HOST_AUTH_METHOD", "md5")
                .withCopyToContainer(Transferable.of(REPLICATION_HBA_SCRIPT, 0755),
                        "/docker-entrypoint-initdb.d/pgroute-replication.sh")
                .withCommand(postgresCommand.toArray(String[]::new))
                .withExposedPorts(PG_PORT)
                // the entrypoint's temporary server (initdb, init scripts) says it once, the real one again
                .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*\\s", 2)
                        .withStartupTimeout(PG_STARTUP_TIMEOUT));
        result.setPortBindings(List.of(binding(hostPort, PG_PORT)));
        return result;
    }

    private GenericContainer<?> replicaContainer(Network network, String name, int hostPort) {
        String conninfo = PostgresConfig.conninfo(PRIMARY_ALIAS, PG_PORT, cluster.superuser(),
                cluster.superuserPassword(), name);
        String[] command = Stream.concat(Stream.of("bash", "-c", REPLICA_SCRIPT, "pgroute-" + name),
                postgresCommand.stream()).toArray(String[]::new);
        GenericContainer<?> result = new GenericContainer<>(postgresImage)
                .withNetwork(network)
                .withEnv("PGROUTE_PRIMARY_CONNINFO", conninfo)
                .withEnv("PGROUTE_STANDBY_SETTING", PostgresConfig.line("primary_conninfo", conninfo))
                .withCommand(command)
                .withExposedPorts(PG_PORT)
                .waitingFor(Wait.forLogMessage(".*database system is ready to accept read-only connections.*\\s", 1)
                        .withStartupTimeout(PG_STARTUP_TIMEOUT));
        result.setPortBindings(List.of(binding(hostPort, PG_PORT)));
        return result;
    }

    private GenericContainer<?> redisContainer(int hostPort) {
        GenericContainer<?> result = new GenericContainer<>(DockerImageName.parse(REDIS_IMAGE))
                .withCommand("redis-server", "--save", "", "--appendonly", "no")
                .withExposedPorts(REDIS_PORT)
                .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\s", 1)
                        .withStartupTimeout(REDIS_STARTUP_TIMEOUT));
        result.setPortBindings(List.of(binding(hostPort, REDIS_PORT)));
        return result;
    }

    /**
     * Starts what {@code create} makes for a free host port; when Docker finds that port taken meanwhile, tries again
     * on another, like the embedded launcher.
     */
    private GenericContainer<?> startOnFreePort(String what, IntFunction<GenericContainer<?>> create)
            throws IOException {
        for (int attempt = 1; ; attempt++) {
            cluster.checkOpen();
            GenericContainer<?> result = create.apply(cluster.ports().next());
            try {
                result.start();
                return result;
            } catch (RuntimeException e) {
                result.stop();
                if (!portTaken(e) || attempt == PORT_ATTEMPTS) {
                    throw new IOException("cannot start the " + what + " container: " + e.getMessage(), e);
                }
                LOGGER.warn("host port of the {} container was taken meanwhile; retrying on another", what);
            }
        }
    }

    /** Each replica streams (seen by the primary) and has replayed a row written after it started. */
    private void awaitStreaming(List<GenericContainer<?>> replicas) throws IOException {
        if (replicas.isEmpty()) {
            return;
        }
        PgClient client = cluster.client();
        PgNode primary = cluster.primary();
        List<PgNode> replicaNodes = cluster.replicas();
        Deadline deadline = Deadline.in(STREAMING_TIMEOUT);
        for (int i = 0; i < replicas.size(); i++) {
            String name = replicaNodes.get(i).name();
            awaitOrExplain(replicas.get(i), deadline, name + " to stream from the primary", () -> client.queryBoolean(
                    primary, DATABASE, "SELECT EXISTS (SELECT 1 FROM pg_stat_replication WHERE application_name = '"
                            + name + "' AND state = 'streaming')"));
        }
        String token = UUID.randomUUID().toString();
        cluster.execute(DATABASE, "CREATE TABLE pgroute_probe (token text)",
                "INSERT INTO pgroute_probe VALUES ('" + token + "')");
        for (int i = 0; i < replicas.size(); i++) {
            PgNode node = replicaNodes.get(i);
            awaitOrExplain(replicas.get(i), deadline, node + " to replay the probe row", () -> client.queryBoolean(node,
                    DATABASE, "SELECT EXISTS (SELECT 1 FROM pgroute_probe WHERE token = '" + token + "')"));
        }
        cluster.execute(DATABASE, "DROP TABLE pgroute_probe");
        cluster.awaitReplication(deadline.remaining().plusSeconds(5));
        LOGGER.info("replicas streaming: {}", replicaNodes);
    }

    private static void awaitOrExplain(GenericContainer<?> container, Deadline deadline, String what,
            Callable<Boolean> condition) throws IOException {
        try {
            deadline.await(what, condition);
        } catch (Deadline.DeadlineExceededException e) {
            throw new IOException(e.getMessage() + DockerNodes.logTail(container), e);
        }
    }

    private static PgNode node(String name, boolean primary, GenericContainer<?> container) {
        return new PgNode(name, "127.0.0.1", container.getMappedPort(PG_PORT), dataDir(container), primary);
    }

    /** The container's {@code PGDATA}, as its image sets it (it moved in 18), else {@link #PGDATA}. */
    private static Path dataDir(GenericContainer<?> container) {
        String[] env = container.getContainerInfo() == null || container.getContainerInfo().getConfig() == null
                ? null : container.getContainerInfo().getConfig().getEnv();
        return Path.of(pgdata(env == null ? List.of() : List.of(env)));
    }

    /** The value of {@code PGDATA} in {@code env} ({@code NAME=value} entries), else {@link #PGDATA}. */
    static String pgdata(List<String> env) {
        for (String each : env) {
            if (each.startsWith("PGDATA=") && each.length() > "PGDATA=".length()) {
                return each.substring("PGDATA=".length());
            }
        }
        return PGDATA;
    }

    private static String binding(int hostPort, int containerPort) {
        return "127.0.0.1:" + hostPort + ":" + containerPort;
    }

    private static boolean portTaken(Throwable e) {
        for (Throwable each = e; each != null; each = each.getCause()) {
            String message = String.valueOf(each.getMessage()).toLowerCase(Locale.ROOT);
            if (message.contains("port is already allocated") || message.contains("address already in use")) {
                return true;
            }
        }
        return false;
    }
}
