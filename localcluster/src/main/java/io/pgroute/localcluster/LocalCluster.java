package io.pgroute.localcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway PostgreSQL primary with streaming replicas, plus Redis, on free ports of 127.0.0.1, for
 * {@code pgroute demo} and the integration tests. Binaries come from Maven artifacts (or {@code PGROUTE_PG_BIN} /
 * {@code PGROUTE_REDIS_SERVER}), data lives under {@link #baseDir()}.
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.builder().replicas(2).start()) {
 *     cluster.createUser("app", "secret");
 *     String url = cluster.primary().jdbcUrl("postgres");
 * }
 * }</pre>
 *
 * <p>Every wait has a deadline; a failed {@link Builder#start()} stops what it started. {@link #close()} (also run by
 * a JVM shutdown hook) stops replicas, primary and Redis and, unless {@link Builder#keepData}, deletes the data.
 * Only processes this cluster started are ever signalled.
 */
public final class LocalCluster implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(LocalCluster.class);
    private static final String SUPERUSER = "postgres";
    private static final String DEFAULT_DATABASE = "postgres";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path baseDir;
    private final boolean createdBaseDir;
    private final boolean keepData;
    private final String superuserPassword;
    private final PgClient client;
    private final FreePorts ports = new FreePorts();
    private final List<Path> createdPaths = new CopyOnWriteArrayList<>();
    private final List<PostgresServer> servers = new CopyOnWriteArrayList<>();
    private final Thread shutdownHook;
    private volatile RedisServer redisServer;
    private volatile boolean closed;

    private LocalCluster(Builder builder) throws IOException {
        this.keepData = builder.keepData;
        this.superuserPassword = builder.superuserPassword;
        this.client = new PgClient(SUPERUSER, superuserPassword);
        if (builder.baseDir == null) {
            Path tempRoot = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
            StaleClusters.deleteOrphans(tempRoot);
            this.baseDir = Files.createTempDirectory(tempRoot, StaleClusters.PREFIX);
            this.createdBaseDir = true;
            if (!builder.keepData) {
                StaleClusters.claim(this.baseDir);
            }
        } else {
            this.baseDir = builder.baseDir.toAbsolutePath();
            this.createdBaseDir = !Files.exists(this.baseDir);
            Files.createDirectories(this.baseDir);
            try (Stream<Path> children = Files.list(this.baseDir)) {
                if (children.findAny().isPresent()) {
                    throw new IOException("base directory " + this.baseDir + " is not empty");
                }
            }
        }
        this.shutdownHook = new Thread(this::close, "pgroute-localcluster-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public static Builder builder() {
        return new Builder();
    }

    public PgNode primary() {
        return servers.get(0).node();
    }

    public List<PgNode> replicas() {
        return servers.stream().skip(1).map(PostgresServer::node).toList();
    }

    /** The primary, then the replicas. */
    public List<PgNode> nodes() {
        return servers.stream().map(PostgresServer::node).toList();
    }

    public Optional<RedisNode> redis() {
        return Optional.ofNullable(redisServer).map(RedisServer::node);
    }

    public String superuser() {
        return SUPERUSER;
    }

    public String superuserPassword() {
        return superuserPassword;
    }

    public Path baseDir() {
        return baseDir;
    }

    /**
     * Every process of this cluster that is running: for each server the child the JVM started (a small wrapper that
     * makes the server die with the JVM) and all its descendants (postmaster, backends, walsenders; Redis). For
     * tests that check nothing outlives {@link #close()}. To stop a node use {@link #stop(PgNode)}, not these.
     */
    public List<ProcessHandle> processes() {
        List<ProcessHandle> result = new ArrayList<>();
        servers.forEach(each -> result.addAll(each.processTree()));
        Optional.ofNullable(redisServer).ifPresent(each -> result.addAll(each.processTree()));
        return result;
    }

    /**
     * Runs SQL on the primary as superuser, each statement in turn on one autocommit connection, in
     * {@code database} ({@code "postgres"} when null) — for seeding and tests.
     */
    public void execute(String database, String... sql) {
        if (sql.length == 0) {
            throw new IllegalArgumentException("no SQL given; the first argument is the database");
        }
        String target = database == null ? DEFAULT_DATABASE : database;
        try {
            client.execute(primary(), target, sql);
        } catch (SQLException e) {
            throw new LocalClusterException("SQL failed on " + primary() + "/" + target + ": SQLSTATE "
                    + e.getSQLState() + " " + e.getMessage(), e);
        }
    }

    public void createDatabase(String name) {
        execute(DEFAULT_DATABASE, "CREATE DATABASE " + SqlText.identifier(name));
        LOGGER.info("created database {}", name);
    }

    /** A login role whose password is stored as SCRAM-SHA-256. */
    public void createUser(String name, String password) {
        execute(DEFAULT_DATABASE, "SET password_encryption = 'scram-sha-256'",
                "CREATE ROLE " + SqlText.identifier(name) + " LOGIN PASSWORD " + SqlText.literal(password));
        LOGGER.info("created user {} (scram-sha-256)", name);
    }

    /** A login role whose password is stored as MD5, so that it authenticates with md5. */
    public void createMd5User(String name, String password) {
        execute(DEFAULT_DATABASE, "SET password_encryption = 'md5'",
                "CREATE ROLE " + SqlText.identifier(name) + " LOGIN PASSWORD " + SqlText.literal(password));
        LOGGER.info("created user {} (md5)", name);
    }

    /** Waits until every running replica has replayed the primary's current WAL position. */
    public void awaitReplication(Duration timeout) {
        Deadline deadline = Deadline.in(timeout);
        String lsn;
        try {
            lsn = client.queryString(primary(), DEFAULT_DATABASE, "SELECT pg_current_wal_lsn()");
        } catch (SQLException e) {
            throw new LocalClusterException("cannot read the WAL position of " + primary() + ": " + e.getMessage(), e);
        }
        String caughtUp = "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn";
        for (PostgresServer each : servers.subList(1, servers.size())) {
            if (each.postmaster().isPresent()) {
                PgNode node = each.node();
                deadline.await(node + " to replay WAL up to " + lsn,
                        () -> client.queryBoolean(node, DEFAULT_DATABASE, caughtUp));
            }
        }
    }

    /** Fast shutdown of one node, e.g. to test failover. */
    public void stop(PgNode node) {
        server(node).stop();
    }

    /** Starts a node stopped by {@link #stop(PgNode)} again, on the same port. */
    public void start(PgNode node) {
        PostgresServer server = server(node);
        try {
            server.start(START_TIMEOUT);
        } catch (IOException e) {
            throw new LocalClusterException("cannot start " + node + ": " + e.getMessage(), e);
        }
    }

    /** SIGKILL to Redis, as a crash would do it; its data is gone (no persistence). */
    public void killRedis() {
        RedisServer redis = redisServer;
        if (redis == null) {
            throw new LocalClusterException("this cluster has no Redis");
        }
        try {
            redis.kill(START_TIMEOUT);
        } catch (IOException e) {
            throw new LocalClusterException("cannot kill redis: " + e.getMessage(), e);
        }
    }

    /** Starts Redis again, empty, on the port it had, after {@link #killRedis()}. */
    public void startRedis() {
        RedisServer redis = redisServer;
        if (redis == null) {
            throw new LocalClusterException("this cluster has no Redis");
        }
        try {
            redis.stop();
            redis.start(redis.node().port(), START_TIMEOUT);
        } catch (IOException e) {
            throw new LocalClusterException("cannot start redis again: " + e.getMessage(), e);
        }
    }

    /** Stops replicas, primary and Redis, then deletes the data unless asked to keep it. Idempotent. */
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
        List<PostgresServer> reversed = new ArrayList<>(servers);
        Collections.reverse(reversed);
        reversed.forEach(PostgresServer::stop);
        RedisServer redis = redisServer;
        if (redis != null) {
            redis.stop();
        }
        if (keepData) {
            LOGGER.info("closed local cluster; data kept in {}", baseDir);
            return;
        }
        if (createdBaseDir) {
            DirectoryTree.deleteQuietly(baseDir);
        } else {
            createdPaths.forEach(DirectoryTree::deleteQuietly);
        }
        LOGGER.info("closed local cluster; deleted {}", createdBaseDir ? baseDir : createdPaths);
    }

    private PostgresServer server(PgNode node) {
        Objects.requireNonNull(node, "node");
        return servers.stream().filter(each -> each.name().equals(node.name())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(node + " is not a node of this cluster"));
    }

    // Called by ClusterLauncher while starting: what it creates becomes ours to stop and delete.

    void adopt(PostgresServer server) {
        servers.add(server);
    }

    void adopt(RedisServer server) {
        redisServer = server;
    }

    void created(Path path) {
        createdPaths.add(path);
    }

    /** Aborts a start that raced with {@link #close()} (e.g. Ctrl-C during {@code pgroute demo}). */
    void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("local cluster was closed while starting");
        }
    }

    FreePorts ports() {
        return ports;
    }

    PgClient client() {
        return client;
    }

    /**
     * Settings for {@link LocalCluster}. Defaults: 2 replicas, Redis on, a new temporary base directory deleted by
     * {@link #close()}, superuser {@code postgres} with password {@code postgres}.
     */
    public static final class Builder {

        private int replicas = 2;
        private boolean redis = true;
        private Path baseDir;
        private boolean keepData;
        private String superuserPassword = "postgres";
        private final Map<String, String> settings = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder replicas(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("replicas must be >= 0: " + n);
            }
            this.replicas = n;
            return this;
        }

        public Builder redis(boolean on) {
            this.redis = on;
            return this;
        }

        /** Where the data goes; created if missing, must be empty if present. Default: a new temporary directory. */
        public Builder baseDir(Path dir) {
            this.baseDir = dir;
            return this;
        }

        /** Keep data directories and logs after {@link LocalCluster#close()} (default: delete what was created). */
        public Builder keepData(boolean keep) {
            this.keepData = keep;
            return this;
        }

        public Builder superuserPassword(String pw) {
            if (pw == null || pw.isEmpty() || pw.contains("\n") || pw.contains("\r")) {
                throw new IllegalArgumentException("superuser password must be one non-empty line");
            }
            this.superuserPassword = pw;
            return this;
        }

        /** An extra {@code postgresql.conf} setting for every node (overrides the defaults), e.g. max_connections. */
        public Builder setting(String name, String value) {
            PostgresConfig.checkSettingName(name);
            settings.put(name, Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Starts the primary, the replicas (returns once each streams and has replayed a probe row) and Redis. On
         * failure everything already started is stopped and deleted, and the exception carries the server log tail.
         */
        public LocalCluster start() throws IOException {
            LocalCluster result = new LocalCluster(this);
            try {
                new ClusterLauncher(result, replicas, redis, settings).launch();
                return result;
            } catch (IOException | RuntimeException | Error e) {
                result.close();
                if (e instanceof LocalClusterException) {
                    throw new IOException(e.getMessage(), e);
                }
                throw e;
            }
        }
    }
}
