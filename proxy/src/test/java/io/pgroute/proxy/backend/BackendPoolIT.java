package io.pgroute.proxy.backend;

import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Backend connections outlive their clients: a clean one is reset with DISCARD ALL and reused by the next client,
 * a dirty one (open transaction) is closed, one older than pool.max_lifetime is replaced, and in session mode
 * pool.size caps a node's connections.
 */
class BackendPoolIT {

    private static PgrouteServer server(Map<String, String> extra) throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        return new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(fixture.cluster(), extra), "pool.yaml",
                System::getenv), 1).start();
    }


    @Test
    void reusesACleanBackendWithNoSessionStateLeft() throws Exception {
        try (PgrouteServer server = server(Map.of())) {
            int firstPid;
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                firstPid = scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()");
                s.execute("SET pgroute.leftover = 'dirty'");
                s.execute("CREATE TEMP TABLE leftover (id int)");
                s.execute("PREPARE leftover_stmt AS SELECT 1");
            }
            // the reset (DISCARD ALL) runs after the client is gone: wait until the connection is back in the pool
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.pools().all().stream()
                    .filter(pool -> pool.target().node().equals("app/primary"))
                    .allMatch(pool -> pool.idle() == pool.open()));
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                assertThat(scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()")).as("same backend reused")
                        .isEqualTo(firstPid);
                assertThat(scalarString(s, "/* pgroute: primary */ SELECT coalesce(current_setting('pgroute.leftover', true), '')"))
                        .isEmpty();
                assertThat(scalarInt(s, "/* pgroute: primary */ SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'")).isZero();
                assertThat(scalarInt(s, "/* pgroute: primary */ SELECT count(*) FROM pg_prepared_statements"
                        + " WHERE name NOT LIKE 'pgr\\_%'")).as("none but pgroute's own, shared ones").isZero();
            }
        }
    }

    @Test
    void closesABackendLeftInsideATransaction() throws Exception {
        try (PgrouteServer server = server(Map.of())) {
            int firstPid;
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                firstPid = scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()");
                c.setAutoCommit(false);
                s.execute("SELECT 1");
            }
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                assertThat(scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()")).isNotEqualTo(firstPid);
                Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                        scalarInt(s, "/* pgroute: primary */ SELECT count(*) FROM pg_stat_activity WHERE pid = " + firstPid)).isZero());
            }
        }
    }

    @Test
    void replacesABackendOnceItOutlivedMaxLifetime() throws Exception {
        try (PgrouteServer server = server(Map.of("pool", "  mode: transaction\n  size: 1\n  max_lifetime: 1s"));
             Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
            int firstPid = scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()");
            assertThat(scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()")).as("reused while young")
                    .isEqualTo(firstPid);

            Thread.sleep(1_200);

            assertThat(scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()")).as("replaced once too old")
                    .isNotEqualTo(firstPid);
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    scalarInt(s, "/* pgroute: primary */ SELECT count(*) FROM pg_stat_activity WHERE pid = " + firstPid))
                    .as("the old backend is closed").isZero());
        }
    }

    @Test
    void capsConnectionsInSessionModeAndAnswers53300AfterTheTimeout() throws Exception {
        try (PgrouteServer server = server(Map.of("pool", "  mode: session\n  size: 1\n  timeout: 500ms"))) {
            try (Connection holder = ProxyFixture.connect(server)) {
                long started = System.nanoTime();
                assertThatThrownBy(() -> ProxyFixture.connect(server).close())
                        .isInstanceOf(SQLException.class)
                        .extracting(e -> ((SQLException) e).getSQLState())
                        .isEqualTo("53300");
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(
                        Duration.ofMillis(450));
                assertThat(holder.isValid(2)).isTrue();
            }
            try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                assertThat(scalarInt(s, "SELECT 1")).isEqualTo(1);
            }
        }
    }

    /**
     * Pools are kept per set of the client startup parameters pgroute does not replay (options here), yet pool.size
     * bounds the server's connections in total: clients with three different {@code options} on a pool of two hold
     * at most two server connections; the third client's transaction waits until one of the others ends, and a new
     * set's client gets a connection by closing an idle one of another pool, not by opening a third.
     */
    @Test
    void poolsOfOneServerShareItsSize() throws Exception {
        String marker = "budget" + System.nanoTime() % 100_000;
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (PgrouteServer server = server(Map.of("pool", "  size: 2"));
             Connection a = connectWith(server, marker, 1); Connection b = connectWith(server, marker, 2);
             Connection c = connectWith(server, marker, 3)) {
            assertThat(server.pools().all().stream().filter(each -> each.target().node().equals("app/primary")))
                    .as("pools of the primary").hasSize(3);
            assertThat(primaryConnections(server)).as("server connections after three logins").isLessThanOrEqualTo(2);
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            c.setAutoCommit(false);
            scalarInt(a.createStatement(), "/* pgroute: primary */ SELECT 1");
            scalarInt(b.createStatement(), "/* pgroute: primary */ SELECT 2");
            java.util.concurrent.Future<Integer> third = other.submit(
                    () -> scalarInt(c.createStatement(), "/* pgroute: primary */ SELECT 3"));
            Thread.sleep(500);
            assertThat(third.isDone()).as("a third transaction while two hold the pool of two").isFalse();
            assertThat(primaryConnections(server)).isEqualTo(2);
            a.commit();
            assertThat(third.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(3);
            b.commit();
            c.commit();
            try (Connection d = connectWith(server, marker, 4); Statement s = d.createStatement()) {
                assertThat(scalarString(s, "/* pgroute: primary */ SELECT current_setting('work_mem')"))
                        .isEqualTo("4MB");
            }
            assertThat(primaryConnections(server)).as("server connections after a fourth set of parameters")
                    .isLessThanOrEqualTo(2);
        } finally {
            other.shutdownNow();
            assertThat(other.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * The shared size under load: three sets of startup parameters (three pools), ten clients each, on a pool of four, each client
     * running short transactions as fast as it can. Every transaction completes (connections move between the pools
     * as they are needed, nobody starves past pool.timeout), and the server never holds more than four of them.
     */
    @Test
    void poolsThatShareASizeAllGetServedUnderLoad() throws Exception {
        String marker = "share" + System.nanoTime() % 100_000;
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(30);
        try (PgrouteServer server = server(Map.of("pool", "  size: 4\n  timeout: 20s"))) {
            java.util.List<java.util.concurrent.Future<Integer>> done = new java.util.ArrayList<>();
            for (int i = 0; i < 30; i++) {
                int set = 1 + i % 3;
                done.add(clients.submit(() -> {
                    int sum = 0;
                    try (Connection c = connectWith(server, marker, set); Statement s = c.createStatement()) {
                        c.setAutoCommit(false);
                        for (int n = 0; n < 40; n++) {
                            sum += scalarInt(s, "/* pgroute: primary */ SELECT 1");
                            c.commit();
                        }
                    }
                    return sum;
                }));
            }
            int most = 0;
            while (done.stream().anyMatch(each -> !each.isDone())) {
                most = Math.max(most, primaryConnections(server));
                Thread.sleep(20);
            }
            for (java.util.concurrent.Future<Integer> each : done) {
                assertThat(each.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(40);
            }
            assertThat(most).as("server connections at most, sampled every 20 ms").isBetween(1, 4);
        } finally {
            clients.shutdownNow();
            assertThat(clients.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * Clients of three applications (application_name in their startup messages, as libpq and psql send it), two
     * each, share the server connections of a pool of two: each transaction runs as its own application
     * (pgroute sets application_name on the connection it leases), and no connection is closed to make room for
     * another application's (before, each application had a pool of its own, and a pool full with three of them
     * closed and opened a server connection at nearly every transaction: 3 000 tps instead of 20 000 with pgbench).
     */
    @Test
    void clientsOfDifferentApplicationsShareTheServersConnections() throws Exception {
        String marker = "apps" + System.nanoTime() % 100_000;
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(6);
        try (PgrouteServer server = server(Map.of("pool", "  size: 2\n  timeout: 20s"))) {
            java.util.List<java.util.concurrent.Future<java.util.Set<Integer>>> done = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String name = marker + (char) ('a' + i % 3);
                done.add(clients.submit(() -> {
                    java.util.Set<Integer> pids = new java.util.HashSet<>();
                    try (Connection c = connectAs(server, name); Statement s = c.createStatement()) {
                        c.setAutoCommit(false);
                        for (int n = 0; n < 60; n++) {
                            try (ResultSet rs = s.executeQuery("/* pgroute: primary */ SELECT pg_backend_pid(), "
                                    + "current_setting('application_name'), (SELECT application_name FROM "
                                    + "pg_stat_activity WHERE pid = pg_backend_pid())")) {
                                assertThat(rs.next()).isTrue();
                                pids.add(rs.getInt(1));
                                assertThat(rs.getString(2)).as("%s, transaction %d", name, n).isEqualTo(name);
                                assertThat(rs.getString(3)).as("%s in pg_stat_activity", name).isEqualTo(name);
                            }
                            c.commit();
                        }
                        assertThat(c.unwrap(org.postgresql.PGConnection.class).getParameterStatus("application_name"))
                                .isEqualTo(name);
                    }
                    return pids;
                }));
            }
            java.util.Set<Integer> pids = new java.util.HashSet<>();
            for (java.util.concurrent.Future<java.util.Set<Integer>> each : done) {
                pids.addAll(each.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertThat(pids).as("server connections that ran the 360 transactions").hasSizeLessThanOrEqualTo(2);
            assertThat(server.pools().all().stream().filter(each -> each.target().node().equals("app/primary")))
                    .as("pools of the primary").hasSize(1);
        } finally {
            clients.shutdownNow();
            assertThat(clients.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * Tenants whose schema is their startup search_path (pgjdbc's {@code currentSchema}, a schema per tenant) share
     * the servers' connections, and each reads its own schema's rows on the primary and the replicas, through
     * server-prepared statements of one text too: pgroute names them per search_path (PostgreSQL would plan one
     * name again for each tenant's path, and fail with 0A000 where the tenants' tables differ in their types). The
     * path is read as PostgreSQL reads it: an unquoted name in lower case, a list.
     */
    @Test
    void tenantsOfDifferentSchemasShareTheServersConnections() throws Exception {
        String marker = "tenant" + System.nanoTime() % 100_000;
        io.pgroute.localcluster.LocalCluster cluster = ProxyFixture.get().cluster();
        String[] schemas = {marker + "_a", marker + "_b", marker + "_c"};
        String[] paths = {schemas[0].toUpperCase(java.util.Locale.ROOT), schemas[1],
                "nosuch_" + marker + ",\"" + schemas[2] + "\", public"};
        String[] types = {"text", "varchar(64)", "name"};  // a plan of one tenant would not fit another's
        for (int i = 0; i < 3; i++) {
            String schema = schemas[i];
            cluster.execute(ProxyFixture.DATABASE, "CREATE SCHEMA " + schema,
                    "CREATE TABLE " + schema + ".accounts (owner " + types[i] + ")",
                    "INSERT INTO " + schema + ".accounts VALUES ('" + schema + "')",
                    "GRANT USAGE ON SCHEMA " + schema + " TO PUBLIC",
                    "GRANT SELECT ON " + schema + ".accounts TO PUBLIC");
        }
        cluster.awaitReplication(Duration.ofSeconds(30));
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(6);
        try (PgrouteServer server = server(Map.of("pool", "  size: 2\n  timeout: 20s"))) {
            java.util.List<java.util.concurrent.Future<java.util.Set<Integer>>> done = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String schema = schemas[i % 3];
                String path = paths[i % 3];
                done.add(clients.submit(() -> {
                    java.util.Set<Integer> primaryPids = new java.util.HashSet<>();
                    try (Connection c = ProxyFixture.connect(server, "currentSchema", path, "prepareThreshold", "1");
                         java.sql.PreparedStatement read = c.prepareStatement(
                                 "SELECT owner, current_schema(), pg_is_in_recovery() FROM accounts");
                         java.sql.PreparedStatement onPrimary = c.prepareStatement("/* pgroute: primary */ "
                                 + "SELECT owner, current_schema(), pg_backend_pid() FROM accounts")) {
                        for (int n = 0; n < 40; n++) {  // first on the replicas (a primary read would end that)
                            try (ResultSet rs = read.executeQuery()) {
                                assertThat(rs.next()).isTrue();
                                assertThat(rs.getString(1)).as("%s, read %d", path, n).isEqualTo(schema);
                                assertThat(rs.getString(2)).isEqualTo(schema);
                                assertThat(rs.getBoolean(3)).as("%s, read %d on a replica", path, n).isTrue();
                                assertThat(rs.next()).isFalse();
                            }
                        }
                        c.setAutoCommit(false);
                        for (int n = 0; n < 40; n++) {
                            try (ResultSet rs = onPrimary.executeQuery()) {
                                assertThat(rs.next()).isTrue();
                                assertThat(rs.getString(1)).as("%s, transaction %d", path, n).isEqualTo(schema);
                                assertThat(rs.getString(2)).isEqualTo(schema);
                                primaryPids.add(rs.getInt(3));
                            }
                            c.commit();
                        }
                        c.setAutoCommit(true);
                        try (Statement s = c.createStatement()) {
                            s.execute("SET search_path TO public");
                            s.execute("RESET search_path");  // back to the startup path, as directly
                            assertThat(scalarString(s, "/* pgroute: primary */ SELECT owner FROM accounts"))
                                    .as("%s after RESET", path).isEqualTo(schema);
                        }
                    }
                    return primaryPids;
                }));
            }
            java.util.Set<Integer> pids = new java.util.HashSet<>();
            for (java.util.concurrent.Future<java.util.Set<Integer>> each : done) {
                pids.addAll(each.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertThat(pids).as("server connections that ran the 240 transactions").hasSizeLessThanOrEqualTo(2);
            assertThat(server.pools().all().stream().filter(each -> each.target().node().equals("app/primary")))
                    .as("pools of the primary").hasSize(1);
        } finally {
            clients.shutdownNow();
            assertThat(clients.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            for (String schema : schemas) {
                cluster.execute(ProxyFixture.DATABASE, "DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    /** Server connections pgroute holds to the primary, over all its pools. */
    private static int primaryConnections(PgrouteServer server) {
        return server.pools().all().stream().filter(each -> each.target().node().equals("app/primary"))
                .mapToInt(BackendPool::open).sum();
    }

    /** A client with a set of startup parameters of its own ({@code options}): a pool of its own. */
    private static Connection connectWith(PgrouteServer server, String marker, int set) throws SQLException {
        return ProxyFixture.connect(server, "ApplicationName", marker, "options", "-c work_mem=" + set + "MB");
    }

    /** A client whose startup message has {@code applicationName}, as libpq sends it. */
    private static Connection connectAs(PgrouteServer server, String applicationName) throws SQLException {
        // assumeMinServerVersion 9.0: application_name in the startup message, as libpq sends it
        return ProxyFixture.connect(server, "ApplicationName", applicationName, "assumeMinServerVersion", "9.0");
    }

    private static int scalarInt(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }

    private static String scalarString(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
