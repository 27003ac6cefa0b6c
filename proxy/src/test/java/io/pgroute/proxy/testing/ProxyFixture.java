package io.pgroute.proxy.testing;

import io.pgroute.config.ConfigLoader;
import io.pgroute.config.ProxyConfig;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.demo.DemoCluster;
import io.pgroute.proxy.server.PgrouteServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;

/**
 * One LocalCluster (primary, 2 replicas, Redis) and one pgroute in front of it (reads routed to both replicas),
 * shared by every integration test of the JVM and stopped at exit. Users through the proxy: {@code app/app} (SCRAM), {@code legacy/legacy} (md5),
 * {@code admin/admin}; backend role {@code app} (SCRAM-stored).
 */
public final class ProxyFixture {

    public static final String DATABASE = DemoCluster.DATABASE;

    private static ProxyFixture shared;

    private final LocalCluster cluster;
    private final PgrouteServer server;

    private ProxyFixture(LocalCluster cluster, PgrouteServer server) {
        this.cluster = cluster;
        this.server = server;
    }

    /** The shared fixture, started on first use. */
    public static synchronized ProxyFixture get() {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    private static ProxyFixture start() {
        LocalCluster cluster = null;
        try {
            cluster = LocalCluster.builder().replicas(2).redis(true).setting("max_connections", "300").start();
            DemoCluster.seed(cluster);
            ProxyConfig config = ConfigLoader.parse(yaml(cluster, Map.of()), "test-proxy.yaml", System::getenv);
            PgrouteServer server = new PgrouteServer(config, 2).start();
            ProxyFixture result = new ProxyFixture(cluster, server);
            LocalCluster started = cluster;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.stop(java.time.Duration.ofSeconds(2));
                started.close();
            }, "proxy-fixture-stop"));
            return result;
        } catch (io.pgroute.localcluster.DockerUnavailableException e) {
            throw io.pgroute.localcluster.DockerModeCondition.skip(e);  // -Dpgroute.cluster=docker without Docker
        } catch (Exception e) {
            if (cluster != null) {
                cluster.close();
            }
            throw new IllegalStateException("cannot start the test cluster and proxy", e);
        }
    }

    /**
     * A started pgroute of its own on this fixture's cluster: {@link #yaml} with {@code sections} appended, one event
     * loop (so its pools are the sizes configured). The caller closes it.
     */
    public static PgrouteServer server(String name, Map<String, String> sections) throws Exception {
        return new PgrouteServer(ConfigLoader.parse(yaml(get().cluster(), sections), name, System::getenv), 1).start();
    }

    /**
     * A proxy.yaml for this cluster on port 0, with extra top-level sections appended; a {@code limits} section
     * among them replaces the default one.
     */
    /**
     * Creates the login role {@code role} with {@code password} in the cluster's {@code app} database if it does not
     * exist yet, runs {@code statements} there (grants, {@code ALTER ROLE … SET}) and starts a pgroute whose database
     * {@code app} connects to the servers as that role, with {@code extraSections} as for {@link #yaml}.
     */
    public static PgrouteServer startAsRole(String role, String password, Map<String, String> extraSections,
                                            String... statements) throws Exception {
        LocalCluster cluster = get().cluster();
        cluster.execute("app", "DO $$ BEGIN CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'; "
                + "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
        cluster.execute("app", statements);
        cluster.awaitReplication(java.time.Duration.ofSeconds(10));
        String yaml = yaml(cluster, extraSections).replace("    user: app\n    password: app\n",
                "    user: " + role + "\n    password: " + password + "\n");
        if (!yaml.contains("    user: " + role + "\n")) {
            throw new IllegalStateException("the database's user was not replaced: " + yaml);
        }
        return new PgrouteServer(io.pgroute.config.ConfigLoader.parse(yaml, role + ".yaml", System::getenv), 1)
                .start();
    }

    public static String yaml(LocalCluster cluster, Map<String, String> extraSections) {
        StringBuilder result = new StringBuilder();
        result.append("listen: { host: 127.0.0.1, port: 0 }\n");
        result.append("users:\n");
        result.append("  app: { password: app, auth: scram-sha-256 }\n");
        result.append("  legacy: { password: legacy, auth: md5 }\n");
        result.append("  trusted: { auth: trust }\n");
        result.append("  admin: { password: admin, admin: true }\n");
        result.append("databases:\n");
        result.append("  app:\n");
        result.append("    primary: { host: 127.0.0.1, port: ").append(cluster.primary().port()).append(" }\n");
        if (!cluster.replicas().isEmpty()) {
            result.append("    replicas:\n");
            cluster.replicas().forEach(each -> result.append("      - { host: 127.0.0.1, port: ").append(each.port())
                    .append(" }\n"));
        }
        result.append("    dbname: app\n    user: app\n    password: app\n");
        if (!extraSections.containsKey("limits")) {
            result.append("limits: { max_frame_bytes: 16MiB, shutdown_timeout: 5s }\n");
        }
        extraSections.forEach((key, value) -> result.append(key).append(":\n").append(value).append('\n'));
        return result.toString();
    }

    public LocalCluster cluster() {
        return cluster;
    }

    public PgrouteServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
    }

    /** A pgjdbc connection through the proxy as app/app. */
    public Connection connect() throws SQLException {
        return connect("app", "app", new Properties());
    }

    public Connection connect(String user, String password, Properties extra) throws SQLException {
        Properties props = new Properties();
        props.putAll(extra);
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.putIfAbsent("connectTimeout", "10");
        props.putIfAbsent("socketTimeout", "60");
        return DriverManager.getConnection(url(DATABASE), props);
    }

    /** A pgjdbc connection as app/app through {@code server}, a pgroute of a test's own ({@link #server}). */
    public static Connection connect(PgrouteServer server) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/" + DATABASE, "app",
                "app");
    }

    /**
     * A pgjdbc connection as app/app through {@code server} with driver properties given as name/value pairs
     * ({@code "prepareThreshold", "1", …}).
     */
    public static Connection connect(PgrouteServer server, String... properties) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/" + DATABASE,
                appWith(properties));
    }

    /** A pgjdbc connection as {@code user} with {@code password} to {@code database} through {@code server}. */
    public static Connection connectAs(PgrouteServer server, String database, String user, String password)
            throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/" + database,
                properties);
    }

    /** A pgjdbc connection straight to the primary as app/app with driver properties as name/value pairs. */
    public Connection connectDirect(String... properties) throws SQLException {
        return DriverManager.getConnection(cluster.primary().jdbcUrl(DATABASE), appWith(properties));
    }

    private static Properties appWith(String... properties) {
        if (properties.length % 2 != 0) {
            throw new IllegalArgumentException("driver properties come in name/value pairs");
        }
        Properties result = new Properties();
        result.setProperty("user", "app");
        result.setProperty("password", "app");
        for (int i = 0; i < properties.length; i += 2) {
            result.setProperty(properties[i], properties[i + 1]);
        }
        return result;
    }

    /** One column of {@code SHOW STATS} on {@code server}'s admin console (user admin), as a number. */
    public static long stat(PgrouteServer server, String column) throws SQLException {
        try (Connection admin = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port()
                + "/pgroute", "admin", "admin");
             java.sql.Statement s = admin.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SHOW STATS")) {
            if (!rs.next()) {
                throw new IllegalStateException("SHOW STATS answered no row");
            }
            return rs.getLong(column);
        }
    }

    /** A pgjdbc connection straight to the primary as app/app, to compare with. */
    public Connection connectDirect() throws SQLException {
        return DriverManager.getConnection(cluster.primary().jdbcUrl(DATABASE), "app", "app");
    }

    /**
     * How many backends of the primary, other than the one asking, have a statement containing {@code marker} as
     * their current or last one; with {@code activeOnly}, only those running it now.
     */
    public int primaryBackendsWith(String marker, boolean activeOnly) throws SQLException {
        try (Connection c = connectDirect(); java.sql.PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND strpos(query, ?) > 0"
                        + (activeOnly ? " AND state = 'active'" : ""))) {
            s.setString(1, marker);
            try (java.sql.ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** The shaded jar {@code mvn package} built (integration tests run after it), for a test that starts pgroute. */
    public static java.nio.file.Path jar() {
        java.nio.file.Path jar = java.nio.file.Path.of("target", "pgroute.jar");
        if (!java.nio.file.Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " is missing: run the tests with mvn verify");
        }
        return jar;
    }

    /** A TCP port on 127.0.0.1 that was free a moment ago, for a process this test starts itself. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
