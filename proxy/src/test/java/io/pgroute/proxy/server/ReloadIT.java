package io.pgroute.proxy.server;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.pgroute.config.ConfigException;
import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Online reload under load: a replica added to proxy.yaml starts serving reads, a new user can log in, a file with
 * problems is rejected as a whole while the running configuration goes on, and no client sees an error.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.pgroute.localcluster.DockerModeCondition.class)
class ReloadIT {

    private static LocalCluster cluster;

    @org.junit.jupiter.api.BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.builder().replicas(3).redis(false).start();
        io.pgroute.proxy.demo.DemoCluster.seed(cluster);
    }

    @org.junit.jupiter.api.AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String yaml(LocalCluster cluster, List<PgNode> replicas, boolean newUser) {
        String yaml = ProxyFixture.yaml(cluster, Map.of());
        StringBuilder section = new StringBuilder("    replicas:\n");
        replicas.forEach(each -> section.append("      - { host: 127.0.0.1, port: ").append(each.port())
                .append(" }\n"));
        yaml = yaml.substring(0, yaml.indexOf("    replicas:\n")) + section + yaml.substring(yaml.indexOf(
                "    dbname:"));
        if (newUser) {
            yaml = yaml.replace("users:\n", "users:\n  newbie: { password: newbie, auth: scram-sha-256 }\n");
        }
        return yaml;
    }

    @Test
    void addingAThirdReplicaUnderLoadDropsNoClientAndTheReplicaStartsServing(@TempDir Path dir) throws Exception {
        PgNode first = cluster.replicas().get(0);
        PgNode second = cluster.replicas().get(1);
        PgNode added = cluster.replicas().get(2);
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, yaml(cluster, List.of(first, second), false));
        try (PgrouteServer proxy = new PgrouteServer(ConfigLoader.load(file), 2).start().configSource(file)) {
            String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app";
            assertThatThrownBy(() -> DriverManager.getConnection(url, "newbie", "newbie"))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("28P01");
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong reads = new AtomicLong();
            Set<Integer> portsAfterReload = ConcurrentHashMap.newKeySet();
            AtomicBoolean reloaded = new AtomicBoolean();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            ExecutorService load = Executors.newFixedThreadPool(6);
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                workers.add(load.submit(() -> {
                    try (Connection c = DriverManager.getConnection(url, "app", "app");
                         Statement s = c.createStatement()) {
                        while (running.get()) {
                            try (ResultSet rs = s.executeQuery("SELECT inet_server_port()")) {
                                rs.next();
                                if (reloaded.get()) {
                                    portsAfterReload.add(rs.getInt(1));
                                }
                            }
                            reads.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                    return null;
                }));
            }
            try {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> reads.get() > 200);
                Files.writeString(file, "listen: {\n");
                assertThatThrownBy(proxy::reloadFromSource).isInstanceOf(ConfigException.class);
                Files.writeString(file, yaml(cluster, List.of(first, second), false).replace("max_frame_bytes: 16MiB",
                        "max_frame_bytes: 16MiB, nonsense: 1"));
                assertThatThrownBy(proxy::reloadFromSource).as("an unknown key rejects the whole file")
                        .isInstanceOf(ConfigException.class);
                Files.writeString(file, yaml(cluster, List.of(first, second, added), true));
                PgrouteServer.ReloadReport report = proxy.reloadFromSource();
                reloaded.set(true);
                assertThat(report.needsRestart()).isEmpty();
                assertThat(report.applied()).contains("users").anyMatch(each -> each.contains("3 replica(s)"));
                Awaitility.await("the added replica serves reads").atMost(Duration.ofSeconds(15))
                        .until(() -> portsAfterReload.contains(added.port()));
                long before = reads.get();
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> reads.get() > before + 200);
            } finally {
                running.set(false);
                for (Future<?> each : workers) {
                    each.get(30, TimeUnit.SECONDS);
                }
                load.shutdownNow();
            }
            assertThat(failures).as("client errors during the reloads").isEmpty();
            try (Connection admin = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port()
                    + "/pgroute", "admin", "admin"); Statement s = admin.createStatement()) {
                Files.writeString(file, yaml(cluster, List.of(first, second, added), true).replace("limits: {",
                        "pool: { size: 30 }\nlimits: {"));
                List<String> rows = new ArrayList<>();
                try (ResultSet rs = s.executeQuery("RELOAD")) {
                    while (rs.next()) {
                        rows.add(rs.getString("change") + "=" + rs.getString("status"));
                    }
                }
                assertThat(rows).containsExactly("pool=applied");
                assertThat(proxy.pools().settings().maxSize()).as("per event loop").isEqualTo(15);
                Files.writeString(file, "users: [\n");
                assertThatThrownBy(() -> s.executeQuery("RELOAD")).isInstanceOf(SQLException.class)
                        .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("F0000");
            }
            assertThat(portsAfterReload).contains(added.port());
            try (Connection c = DriverManager.getConnection(url, "newbie", "newbie");
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
            }
        }
    }

    /**
     * A reload that changes what needs a restart reports it and leaves it as it runs, for new sessions too: the
     * primary's address, TLS, an added database and the catalog refresh interval. Other changes of the same file
     * (a user) still apply.
     */
    @Test
    void changesThatNeedARestartAreReportedAndNewSessionsStillUseTheRunningValues(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("proxy.yaml");
        String original = ProxyFixture.yaml(cluster, Map.of());
        Files.writeString(file, original);
        int primaryPort = cluster.primary().port();
        int closedPort = ProxyFixture.freePort();  // nothing listens there
        SelfSignedCertificate certificate = new SelfSignedCertificate("localhost");
        String changed = original
                .replace("primary: { host: 127.0.0.1, port: " + primaryPort + " }",
                        "primary: { host: 127.0.0.1, port: " + closedPort + " }")
                .replace("users:\n", "users:\n  newbie: { password: newbie, auth: scram-sha-256 }\n")
                .replace("limits: {", "  other:\n    primary: { host: 127.0.0.1, port: " + primaryPort + " }\n"
                        + "    dbname: app\n    user: app\n    password: app\n"
                        + "tls:\n  mode: require\n  cert: " + certificate.certificate().getAbsolutePath()
                        + "\n  key: " + certificate.privateKey().getAbsolutePath() + "\n"
                        + "routing: { catalog_refresh: 5s }\nlimits: {");
        assertThat(changed).contains("port: " + closedPort).contains("other:").contains("mode: require");
        try (PgrouteServer proxy = new PgrouteServer(ConfigLoader.load(file), 2).start().configSource(file)) {
            Files.writeString(file, changed);
            PgrouteServer.ReloadReport report = proxy.reloadFromSource();
            assertThat(report.needsRestart()).contains("tls", "databases added or removed", "routing.catalog_refresh")
                    .anyMatch(each -> each.startsWith("databases.app primary"));
            assertThat(report.applied()).containsExactly("users");
            try (Connection c = ProxyFixture.connect(proxy, "sslmode", "disable"); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                s.execute("CREATE TEMP TABLE reload_probe (a int)");
                try (ResultSet rs = s.executeQuery("SELECT inet_server_port(), pg_is_in_recovery()")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).as("the primary the proxy was started with").isEqualTo(primaryPort);
                    assertThat(rs.getBoolean(2)).isFalse();
                }
                c.rollback();
            }
            assertThatThrownBy(() -> ProxyFixture.connectAs(proxy, "other", "app", "app"))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).as("a database added by the reload")
                    .isEqualTo("3D000");
            try (Connection c = ProxyFixture.connectAs(proxy, "app", "newbie", "newbie");
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                assertThat(rs.next()).as("the user added by the same reload").isTrue();
            }
        }
    }

    @Test
    void aDatabasesAddressesAndMaxClientsApplyToTheNextLoginAndAreReported(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("proxy.yaml");
        String original = ProxyFixture.yaml(cluster, Map.of());
        Files.writeString(file, original);
        String changed = original.replace("    dbname: app\n", "    dbname: app\n    addresses: [ 10.0.0.0/8 ]\n");
        assertThat(changed).contains("addresses: [ 10.0.0.0/8 ]");
        try (PgrouteServer proxy = new PgrouteServer(ConfigLoader.load(file), 2).start().configSource(file);
             Connection before = ProxyFixture.connect(proxy)) {
            Files.writeString(file, changed);
            PgrouteServer.ReloadReport report = proxy.reloadFromSource();
            assertThat(report.applied()).containsExactly("databases.app: addresses, max_clients");
            assertThat(report.needsRestart()).isEmpty();
            assertThatThrownBy(() -> ProxyFixture.connect(proxy)).isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).as("a login from 127.0.0.1 after the reload")
                    .isEqualTo("28000");
            try (Statement s = before.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                assertThat(rs.next()).as("a session from before the reload goes on").isTrue();
            }
            Files.writeString(file, original);
            assertThat(proxy.reloadFromSource().applied()).containsExactly("databases.app: addresses, max_clients");
            try (Connection after = ProxyFixture.connect(proxy); Statement s = after.createStatement();
                 ResultSet rs = s.executeQuery("SELECT 1")) {
                assertThat(rs.next()).isTrue();
            }
        }
    }
}
