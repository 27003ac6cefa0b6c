package io.pgroute.localcluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start sequence of an embedded {@link LocalCluster} (servers in {@link ProcessNodes}), which owns whatever
 * this creates as soon as it exists:
 *
 * <pre>
 * initdb primary ─ append settings, write pg_hba ─ copy data dir per replica (+ standby.signal)
 *   ─ start primary ─ start replicas (primary_conninfo) ─ await streaming ─ probe row visible everywhere
 *   ─ start Redis
 * </pre>
 *
 * Copying the freshly initialised (cleanly shut down) data directory makes a valid base backup without
 * pg_basebackup, which the embedded binaries lack.
 */
final class ClusterLauncher {

    private static final Logger LOGGER = LoggerFactory.getLogger(ClusterLauncher.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STREAMING_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration REDIS_TIMEOUT = Duration.ofSeconds(30);
    private static final int PORT_ATTEMPTS = 5;
    private static final String DATABASE = "postgres";

    private final LocalCluster cluster;
    private final ProcessNodes nodes;
    private final int replicaCount;
    private final boolean withRedis;
    private final Map<String, String> settings;

    ClusterLauncher(LocalCluster cluster, ProcessNodes nodes, int replicaCount, boolean withRedis,
            Map<String, String> settings) {
        this.cluster = cluster;
        this.nodes = nodes;
        this.replicaCount = replicaCount;
        this.withRedis = withRedis;
        this.settings = Map.copyOf(settings);
    }

    void launch() throws IOException {
        long started = System.nanoTime();
        ServerUser user = ServerUser.detect();
        PgBinaries binaries = PgBinaries.locate(user);
        Path redisBinary = withRedis ? RedisBinary.locate() : null;
        user.grantTraversal(cluster.baseDir());
        Path pgRoot = createDirectory(cluster.baseDir().resolve("pg"), "rwxr-xr-x");
        user.own(pgRoot);
        Map<String, String> settings = withSocketDirectory(pgRoot, user);

        PostgresServer primary = newServer("primary", true, pgRoot, binaries, user);
        initPrimary(primary, pgRoot, user, settings);
        List<PostgresServer> replicas = new ArrayList<>();
        for (int i = 1; i <= replicaCount; i++) {
            PostgresServer replica = newServer("replica" + i, false, pgRoot, binaries, user);
            primary.copyDataDirTo(replica);
            replica.writeConfigFile("standby.signal", "", false);
            replicas.add(replica);
        }

        startOnFreePort(primary, Map.of());
        int primaryPort = cluster.primary().port();
        for (PostgresServer each : replicas) {
            startOnFreePort(each, Map.of("primary_conninfo", PostgresConfig.conninfo(primaryPort,
                    cluster.superuser(), cluster.superuserPassword(), each.name())));
        }
        awaitStreaming(replicas);
        if (redisBinary != null) {
            startRedis(redisBinary);
        }
        LOGGER.info("local cluster up in {} ms: primary {}, replicas {}, redis {}, base dir {}",
                (System.nanoTime() - started) / 1_000_000, cluster.primary(), cluster.replicas(),
                cluster.redis().map(RedisNode::uri).orElse("off"), cluster.baseDir());
    }

    private PostgresServer newServer(String name, boolean primary, Path pgRoot, PgBinaries binaries, ServerUser user) {
        PostgresServer result = new PostgresServer(name, primary, pgRoot.resolve(name), pgRoot.resolve(name + ".log"),
                binaries, user);
        nodes.adopt(result);
        return result;
    }

    /**
     * The settings, with every node also listening on a Unix-domain socket in {@code pg/sockets} (clients that set
     * {@code host} to that directory skip TCP), unless the settings name a directory of their own or the socket's
     * path would be too long for one (107 bytes).
     */
    private Map<String, String> withSocketDirectory(Path pgRoot, ServerUser user) throws IOException {
        Map<String, String> result = new LinkedHashMap<>(settings);
        Path sockets = pgRoot.resolve("sockets").toAbsolutePath();
        // sun_path: 108 bytes with the terminating zero, as PostgreSQL checks (the config module says the same)
        boolean fits = (sockets + "/.s.PGSQL.65535").getBytes(StandardCharsets.UTF_8).length <= 107;
        if (!result.containsKey("unix_socket_directories") && fits && !sockets.toString().contains(",")) {
            createDirectory(sockets, "rwxr-xr-x");
            user.own(sockets);
            result.put("unix_socket_directories", sockets.toString());
            cluster.socketDirectory(sockets);
        }
        return result;
    }

    private void initPrimary(PostgresServer primary, Path pgRoot, ServerUser user, Map<String, String> settings)
            throws IOException {
        Path passwordFile = pgRoot.resolve("superuser.pw");
        Files.writeString(passwordFile, cluster.superuserPassword() + "\n", StandardCharsets.UTF_8);
        try {
            Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
            user.own(passwordFile);
            primary.initdb(cluster.superuser(), passwordFile);
        } finally {
            Files.deleteIfExists(passwordFile);
        }
        primary.writeConfigFile("postgresql.conf",
                PostgresConfig.sharedFile(PostgresConfig.sharedSettings(settings)), true);
        primary.writeConfigFile("pg_hba.conf", PostgresConfig.hbaFile(), false);
    }

    private void startOnFreePort(PostgresServer server, Map<String, String> nodeSettings) throws IOException {
        for (int attempt = 1; ; attempt++) {
            cluster.checkOpen();
            server.configure(cluster.ports().next(), nodeSettings);
            try {
                server.start(START_TIMEOUT);
                cluster.checkOpen();
                return;
            } catch (PortInUseException e) {
                if (attempt == PORT_ATTEMPTS) {
                    throw e;
                }
                LOGGER.warn("port of {} was taken meanwhile; retrying on another", server);
            }
        }
    }

    /** Each replica streams (seen by the primary) and has replayed a row written after it connected. */
    private void awaitStreaming(List<PostgresServer> replicas) throws IOException {
        if (replicas.isEmpty()) {
            return;
        }
        PgClient client = cluster.client();
        PgNode primary = cluster.primary();
        Deadline deadline = Deadline.in(STREAMING_TIMEOUT);
        for (PostgresServer each : replicas) {
            awaitOrExplain(each, deadline, each.name() + " to stream from the primary", () -> client.queryBoolean(
                    primary, DATABASE, "SELECT EXISTS (SELECT 1 FROM pg_stat_replication WHERE application_name = '"
                            + each.name() + "' AND state = 'streaming')"));
        }
        String token = UUID.randomUUID().toString();
        cluster.execute(DATABASE, "CREATE TABLE pgroute_probe (token text)",
                "INSERT INTO pgroute_probe VALUES ('" + token + "')");
        for (PostgresServer each : replicas) {
            PgNode node = each.node();
            awaitOrExplain(each, deadline, node + " to replay the probe row", () -> client.queryBoolean(node,
                    DATABASE, "SELECT EXISTS (SELECT 1 FROM pgroute_probe WHERE token = '" + token + "')"));
        }
        cluster.execute(DATABASE, "DROP TABLE pgroute_probe");
        cluster.awaitReplication(deadline.remaining().plusSeconds(5));
        LOGGER.info("replicas streaming: {}", cluster.replicas());
    }

    private static void awaitOrExplain(PostgresServer server, Deadline deadline, String what,
            Callable<Boolean> condition) throws IOException {
        try {
            deadline.await(what, condition);
        } catch (Deadline.DeadlineExceededException e) {
            throw new IOException(e.getMessage() + server.logTail(), e);
        }
    }

    private void startRedis(Path binary) throws IOException {
        Path dir = createDirectory(cluster.baseDir().resolve("redis"), "rwx------");
        RedisServer redis = new RedisServer(binary, dir);
        nodes.adopt(redis);
        for (int attempt = 1; ; attempt++) {
            cluster.checkOpen();
            try {
                redis.start(cluster.ports().next(), REDIS_TIMEOUT);
                cluster.checkOpen();
                return;
            } catch (PortInUseException e) {
                if (attempt == PORT_ATTEMPTS) {
                    throw e;
                }
                LOGGER.warn("redis port was taken meanwhile; retrying on another");
            }
        }
    }

    private Path createDirectory(Path dir, String permissions) throws IOException {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
        cluster.created(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(permissions));
        return dir;
    }
}
