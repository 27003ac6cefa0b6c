package io.pgroute.proxy.routing;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Read-your-writes across sessions ({@code consistency: global}): an application that writes on one pooled
 * connection and reads on another. Both replicas' replay is paused (they stay eligible under a long max_lag), so a
 * replica read cannot see the write: with {@code global} the other session's read, right away and after the monitor
 * has sampled past the write, shows the row (from the primary, as no replica caught up); with {@code causal}, whose
 * guarantee is per session, the same read is answered by a paused replica without the row, which shows the
 * scenario is a real trap. A session that wrote nothing reads from the replicas again once they replayed the write.
 * Only reads of the tables a write reached wait for it: another table is still read from a replica, while a table
 * a cascading foreign key ties to the written one, a view and a read calling a function of the user's (pgroute
 * cannot tell what they read) wait. A read of a view that calls a function of the user's counts as a write of every
 * table.
 */
class GlobalConsistencyIT {

    /** More tables than a session keeps write reaches apart per transaction (ReadPlacement folds them). */
    private static final int MANY_TABLES = 20;

    @Test
    void aReadOnAnotherConnectionSeesTheWriteWithGlobal() throws Exception {
        try (PgrouteServer server = server("global")) {
            pauseReplicas();
            try (Connection writer = connect(server); Connection reader = connect(server)) {
                assertThat(read(reader)).as("before the write, a replica answers").isEqualTo("0@replica");
                insert(writer);
                assertThat(read(reader)).as("right after the write on another connection").isEqualTo("1@primary");
                Thread.sleep(100);  // the monitor has sampled the primary past the write: still no replica has it
                assertThat(read(reader)).as("after the monitor sampled past the write").isEqualTo("1@primary");
                resumeReplicas();
                Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                        .until(() -> read(reader).equals("1@replica"));
            } finally {
                resumeReplicas();
            }
        }
    }

    @Test
    void onlyReadsOfTheTablesAWriteReachedWaitForIt() throws Exception {
        // samples 1 s apart: a session's replica answer is not followed by a primary sample before its next read
        // (which would make that read wait for the primary's position, which paused replicas never reach)
        try (PgrouteServer server = server("global", "1s")) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.routing("app").relations()
                    .cacheable("global_untouched"));
            pauseReplicas();
            try (Connection writer = connect(server)) {
                // rows only the primary has, written past pgroute: a count of 1 means the primary answered
                try (Connection direct = ProxyFixture.get().connectDirect(); Statement s = direct.createStatement()) {
                    s.execute("INSERT INTO global_untouched VALUES (1)");
                    s.execute("INSERT INTO global_child VALUES (NULL)");
                }
                assertThat(freshCount(server, "global_untouched")).as("before the write").isZero();
                insert(writer);
                // each read in a new session: after a read on the primary a session's next reads wait for the
                // monitor to sample past it (monotonic reads), which would hide what is tested here
                assertThat(freshCount(server, "global_untouched")).as("a table the write did not reach: a replica")
                        .isZero();
                assertThat(freshCount(server, "global_consistency")).as("the table it wrote: the primary")
                        .isEqualTo(1);
                assertThat(freshCount(server, "global_child"))
                        .as("a table whose foreign key cascades from the written one: the primary").isEqualTo(1);
                assertThat(freshCount(server, "global_untouched WHERE global_stable() = 1"))
                        .as("a function of the user's may read any table: the read waits for any write").isEqualTo(1);
                assertThat(freshCount(server, "global_view")).as("a view: pgroute cannot tell what it reads")
                        .isEqualTo(1);
                assertThat(freshCount(server, "global_untouched WHERE now() > '2000-01-01'"))
                        .as("PostgreSQL's own functions read no table: a replica").isZero();
            } finally {
                resumeReplicas();
            }
        }
    }

    @Test
    void aReadOfAViewThatCallsAUserFunctionOnThePrimaryCountsAsAWriteOfEveryTable() throws Exception {
        try (PgrouteServer server = server("global")) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.routing("app").relations()
                    .cacheable("global_untouched"));
            pauseReplicas();
            try (Connection writer = connect(server); Connection reader = connect(server)) {
                assertThat(read(reader)).as("before the write, a replica answers").isEqualTo("0@replica");
                try (Statement s = writer.createStatement(); ResultSet rs = s.executeQuery(
                        "/* pgroute: primary */ SELECT inserted FROM global_inserting")) {
                    assertThat(rs.next()).isTrue();  // the view's function inserted the row
                }
                assertThat(read(reader)).as("another connection's read right after it").isEqualTo("1@primary");
            } finally {
                resumeReplicas();
            }
        }
    }

    private static long freshCount(PgrouteServer server, String relation) throws SQLException {
        try (Connection reader = connect(server)) {
            return plainCount(reader, relation);
        }
    }

    @Test
    void aSessionWaitsOnlyForTheTablesItWroteOrThePrimaryShowedIt() throws Exception {
        // no sample after the first ones: every watermark of this test stays unknown, so a read that waits for one
        // goes to the primary, and one that does not goes to a replica
        try (PgrouteServer server = server("global", "10m")) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.routing("app").relations()
                    .cacheable("global_untouched"));
            try (Connection session = connect(server)) {
                insert(session);
                assertThat(answerer(session, "global_untouched")).as("another table than the one it wrote")
                        .isEqualTo("replica");
                assertThat(answerer(session, "global_consistency")).as("the table it wrote").isEqualTo("primary");
                assertThat(answerer(session, "global_untouched"))
                        .as("after the primary showed it the written table, another table").isEqualTo("replica");
                assertThat(answerer(session, "global_child")).as("a table the write reached").isEqualTo("primary");
                assertThat(answerer(session, "global_view")).as("a view").isEqualTo("primary");
                assertThat(answerer(session, "global_untouched"))
                        .as("after the primary answered a read pgroute cannot tie to tables, every table")
                        .isEqualTo("primary");
            }
        }
    }

    @Test
    void aTransactionWritingManyTablesMakesReadsOfEachWait() throws Exception {
        try (PgrouteServer server = server("global", "10m")) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.routing("app").relations()
                    .cacheable("global_many_" + (MANY_TABLES - 1)));
            try (Connection writer = connect(server); Connection reader = connect(server)) {
                writer.setAutoCommit(false);
                try (Statement s = writer.createStatement()) {
                    for (int i = 0; i < MANY_TABLES; i++) {
                        s.executeUpdate("INSERT INTO global_many_" + i + " VALUES (" + i + ")");
                    }
                }
                writer.commit();
                assertThat(answerer(reader, "global_untouched")).as("a table it did not write").isEqualTo("replica");
                for (int i = 0; i < MANY_TABLES; i++) {
                    assertThat(answerer(reader, "global_many_" + i)).as("global_many_" + i).isEqualTo("primary");
                }
            }
        }
    }

    @Test
    void aReloadToGlobalWaitsOnlyForTheTablesWrittenAtOnce() throws Exception {
        // watermarks stay unknown (no sample after the first ones), as in the test above
        try (PgrouteServer server = server("causal", "10m")) {
            Awaitility.await("the relation catalog, read under causal too").atMost(Duration.ofSeconds(10))
                    .until(() -> server.routing("app").relations().cacheable("global_untouched"));
            server.reload(ConfigLoader.parse(config("global", "10m"), "global.yaml", System::getenv));
            try (Connection writer = connect(server); Connection reader = connect(server)) {
                insert(writer);
                assertThat(answerer(reader, "global_consistency")).as("the table written, on another connection")
                        .isEqualTo("primary");
                assertThat(answerer(reader, "global_untouched")).as("another table").isEqualTo("replica");
            }
        }
    }

    @Test
    void backToBackReadsOfATableNobodyWritesStayOnReplicasWhileAnotherTableIsWritten() throws Exception {
        try (PgrouteServer server = server("global")) {
            java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
            java.util.concurrent.atomic.AtomicReference<Throwable> failure =
                    new java.util.concurrent.atomic.AtomicReference<>();
            Thread writer = new Thread(() -> {
                try (Connection c = connect(server); Statement s = c.createStatement()) {
                    for (int id = 1; writing.get(); id++) {
                        s.executeUpdate("INSERT INTO global_consistency VALUES (" + id + ")");
                        Thread.sleep(2);
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "global-writer");
            writer.start();
            int replica = 0;
            int reads = 1000;
            try (Connection reader = connect(server)) {
                for (int i = 0; i < reads; i++) {
                    if (answerer(reader, "global_untouched").equals("replica")) {
                        replica++;
                    }
                }
            } finally {
                writing.set(false);
                writer.join(10_000);
            }
            assertThat(failure.get()).isNull();
            // the monitor samples the primary ahead of the replicas all the time: a session freed from its replica
            // by a primary sample would find no replica caught up, read the primary and wait again
            assertThat(replica).as("reads answered by a replica, of %d", reads).isGreaterThan(reads * 95 / 100);
        }
    }

    @Test
    void withCausalTheSameReadIsStaleWhichShowsTheTrap() throws Exception {
        try (PgrouteServer server = server("causal")) {
            pauseReplicas();
            try (Connection writer = connect(server); Connection reader = connect(server)) {
                assertThat(read(reader)).isEqualTo("0@replica");
                insert(writer);
                assertThat(read(reader)).as("causal is per session: the other connection reads a paused replica")
                        .isEqualTo("0@replica");
                assertThat(read(writer)).as("the writing session itself reads its write").isEqualTo("1@primary");
            } finally {
                resumeReplicas();
            }
        }
    }

    private static PgrouteServer server(String consistency) throws Exception {
        return server(consistency, "20ms");
    }

    private static PgrouteServer server(String consistency, String lagInterval) throws Exception {
        String yaml = createTablesAndConfig(consistency, lagInterval);
        PgrouteServer server = new PgrouteServer(ConfigLoader.parse(yaml, "global.yaml", System::getenv), 1).start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.routing("app").monitor().state()
                .replicas().stream().allMatch(NodeState::eligible));
        return server;
    }

    /** (Re)creates the test's tables, view and function; returns a configuration with those routing settings. */
    private static String createTablesAndConfig(String consistency, String lagInterval) throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        try (Connection direct = ProxyFixture.get().connectDirect(); Statement s = direct.createStatement()) {
            s.execute("DROP VIEW IF EXISTS global_view, global_inserting");
            s.execute("DROP TABLE IF EXISTS global_child, global_consistency, global_untouched");
            s.execute("CREATE TABLE global_consistency (id int PRIMARY KEY)");
            s.execute("CREATE TABLE global_untouched (id int PRIMARY KEY)");
            s.execute("CREATE TABLE global_child (id int REFERENCES global_consistency ON DELETE CASCADE)");
            s.execute("CREATE VIEW global_view AS SELECT * FROM global_consistency");
            s.execute("CREATE OR REPLACE FUNCTION global_stable() RETURNS int LANGUAGE sql STABLE AS 'SELECT 1'");
            s.execute("CREATE OR REPLACE FUNCTION global_insert() RETURNS int LANGUAGE sql"
                    + " AS 'INSERT INTO global_consistency VALUES (1) RETURNING 1'");
            s.execute("CREATE VIEW global_inserting AS SELECT global_insert() AS inserted");
            for (int i = 0; i < MANY_TABLES; i++) {
                s.execute("DROP TABLE IF EXISTS global_many_" + i);
                s.execute("CREATE TABLE global_many_" + i + " (id int)");
            }
        }
        cluster.awaitReplication(Duration.ofSeconds(10));
        return config(consistency, lagInterval);
    }

    private static String config(String consistency, String lagInterval) {
        String routing = "  consistency: " + consistency + "\n  max_lag: 10m\n  max_lag_bytes: 0\n  lag_interval: "
                + lagInterval + "\n";
        return ProxyFixture.yaml(ProxyFixture.get().cluster(), Map.of("routing", routing));
    }

    private static Connection connect(PgrouteServer server) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/app", "app", "app");
    }

    private static void insert(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement()) {
            assertThat(s.executeUpdate("INSERT INTO global_consistency VALUES (1)")).isEqualTo(1);
        }
    }

    /** The row count of global_consistency and who answered: {@code 1@primary}, {@code 0@replica}. */
    private static String read(Connection connection) throws SQLException {
        return count(connection, "global_consistency");
    }

    private static String count(Connection connection, String relation) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT count(*), pg_is_in_recovery() FROM " + relation)) {
            rs.next();
            return rs.getLong(1) + "@" + (rs.getBoolean(2) ? "replica" : "primary");
        }
    }

    /** Which node answered a read of {@code relation}: {@code primary} or {@code replica}. */
    private static String answerer(Connection connection, String relation) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT pg_is_in_recovery(), (SELECT count(*) FROM " + relation + ")")) {
            rs.next();
            return rs.getBoolean(1) ? "replica" : "primary";
        }
    }

    private static long plainCount(Connection connection, String relation) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT count(*) FROM " + relation)) {
            rs.next();
            return rs.getLong(1);
        }
    }


    /** Pauses replay on both replicas and waits until it has stopped (a pause is only a request). */
    private static void pauseReplicas() throws SQLException {
        LocalCluster cluster = ProxyFixture.get().cluster();
        for (PgNode each : cluster.replicas()) {
            replay(each, "pg_wal_replay_pause()");
            try (Connection c = DriverManager.getConnection(each.jdbcUrl("postgres"), cluster.superuser(),
                    cluster.superuserPassword()); Statement s = c.createStatement()) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> {
                    try (ResultSet rs = s.executeQuery("SELECT pg_get_wal_replay_pause_state()")) {
                        return rs.next() && rs.getString(1).equals("paused");
                    }
                });
            }
        }
    }

    private static void resumeReplicas() throws SQLException {
        for (PgNode each : ProxyFixture.get().cluster().replicas()) {
            replay(each, "pg_wal_replay_resume()");
        }
    }

    private static void replay(PgNode node, String call) throws SQLException {
        LocalCluster cluster = ProxyFixture.get().cluster();
        try (Connection c = DriverManager.getConnection(node.jdbcUrl("postgres"), cluster.superuser(),
                cluster.superuserPassword()); Statement s = c.createStatement()) {
            s.execute("SELECT " + call);
        }
    }
}
