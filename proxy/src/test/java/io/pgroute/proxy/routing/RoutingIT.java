package io.pgroute.proxy.routing;

import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reads go to the replicas, writes and side effects to the primary, transactions stay on one node, and a client
 * always reads its own writes. Which node answered is what the node itself says: {@code inet_server_port()}.
 */
class RoutingIT {

    private static ProxyFixture fixture;
    private static int primaryPort;
    private static Set<Integer> replicaPorts;

    @BeforeAll
    static void start() throws SQLException {
        fixture = ProxyFixture.get();
        primaryPort = fixture.cluster().primary().port();
        replicaPorts = Set.of(fixture.cluster().replicas().get(0).port(), fixture.cluster().replicas().get(1).port());
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS routed (id bigserial PRIMARY KEY, note text)");
            s.execute("CREATE SEQUENCE IF NOT EXISTS routed_seq");
            s.execute("CREATE OR REPLACE FUNCTION routed_write(n text) RETURNS int LANGUAGE sql AS "
                    + "$$ INSERT INTO routed (note) VALUES (n); SELECT inet_server_port() $$");
        }
        fixture.cluster().awaitReplication(Duration.ofSeconds(10));
        // and the shared pgroute has seen it: a class before this one may have paused replay, which leaves the
        // replicas lagging (no reads) until the node monitor samples them caught up
        Awaitility.await("both replicas eligible").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> fixture.server().routing("app").monitor().state().replicas().stream()
                        .allMatch(NodeState::eligible));
    }

    @Test
    void autocommitReadsOfSeveralSessionsSpreadOverBothReplicas() throws SQLException {
        // causal consistency: a session reading back to back stays on the replica that answered it (monotonic reads
        // without asking the replica), so the spread is across sessions
        Map<Integer, Integer> byPort = new HashMap<>();
        for (int session = 0; session < 10; session++) {
            try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
                for (int i = 0; i < 10; i++) {
                    try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery(), inet_server_port()")) {
                        rs.next();
                        assertThat(rs.getBoolean(1)).as("answered by a standby").isTrue();
                        byPort.merge(rs.getInt(2), 1, Integer::sum);
                    }
                }
            }
        }
        assertThat(byPort.keySet()).isEqualTo(replicaPorts);
        assertThat(byPort.values()).allSatisfy(count -> assertThat(count).isBetween(30, 70));
    }

    @Test
    void writesAndSideEffectsRunOnThePrimary() throws SQLException {
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            assertThat(port(s, "INSERT INTO routed (note) VALUES ('w') RETURNING inet_server_port()"))
                    .isEqualTo(primaryPort);
            assertThat(port(s, "UPDATE routed SET note = 'u' WHERE id = (SELECT min(id) FROM routed) "
                    + "RETURNING inet_server_port()")).isEqualTo(primaryPort);
            assertThat(port(s, "SELECT inet_server_port() FROM routed LIMIT 1 FOR UPDATE")).isEqualTo(primaryPort);
            assertThat(port(s, "SELECT inet_server_port() + 0 * nextval('routed_seq')")).isEqualTo(primaryPort);
            assertThat(port(s, "SELECT routed_write('from a function')")).isEqualTo(primaryPort);
            assertThat(port(s, "WITH moved AS (DELETE FROM routed WHERE note = 'nothing' RETURNING id) "
                    + "SELECT inet_server_port() + count(*) FROM moved")).isEqualTo(primaryPort);
            s.execute("CREATE TABLE IF NOT EXISTS routed_ddl (id int)");
            s.execute("DROP TABLE routed_ddl");
        }
    }

    @Test
    void explicitTransactionsStayOnThePrimaryAndReadOnlyOnesOnAReplica() throws SQLException {
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (int i = 0; i < 5; i++) {
                assertThat(port(s, "SELECT inet_server_port()")).isEqualTo(primaryPort);
            }
            c.commit();
        }
        // a new connection: right after using the primary, monotonic reads keep a session there until the node
        // monitor has sampled past what it saw (at most routing.lag_interval); and under global consistency a read-only
        // transaction, whose tables are not known at its BEGIN, waits for every write of any session, such as the
        // statements other tests had re-run on the primary a moment ago (writes pgroute cannot name): until the
        // replicas have replayed those, it runs on the primary
        Awaitility.await("a read-only transaction on a replica").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50)).until(() -> {
                    try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
                        s.execute("BEGIN READ ONLY");
                        int first = port(s, "SELECT inet_server_port()");
                        if (first == primaryPort) {
                            s.execute("COMMIT");
                            return false;
                        }
                        assertThat(first).isIn(replicaPorts);
                        for (int i = 0; i < 5; i++) {
                            assertThat(port(s, "SELECT inet_server_port()")).as("the same replica throughout")
                                    .isEqualTo(first);
                        }
                        s.execute("COMMIT");
                        return true;
                    }
                });
    }

    @Test
    void readsItsOwnWritesEveryTime() throws SQLException {
        Properties props = new Properties();
        props.setProperty("prepareThreshold", "1");
        try (Connection c = fixture.connect("app", "app", props);
             PreparedStatement insert = c.prepareStatement("INSERT INTO routed (note) VALUES (?) RETURNING id");
             PreparedStatement select = c.prepareStatement("SELECT note FROM routed WHERE id = ?")) {
            for (int i = 0; i < 1000; i++) {
                insert.setString(1, "ryw-" + i);
                long id;
                try (ResultSet rs = insert.executeQuery()) {
                    rs.next();
                    id = rs.getLong(1);
                }
                select.setLong(1, id);
                try (ResultSet rs = select.executeQuery()) {
                    assertThat(rs.next()).as("row %d read right after its insert", id).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("ryw-" + i);
                }
            }
        }
    }

    /**
     * With {@code synchronous_commit = off} a commit is visible (and acknowledged) before the primary has written
     * its WAL record: a watermark taken from {@code pg_current_wal_lsn()} (the write position) could then be below
     * the commit, and a replica that replayed that far would not have it. Replicas must still answer some reads.
     */
    @Test
    void readsItsOwnAsynchronousCommitsEveryTime() throws SQLException {
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            s.execute("SET synchronous_commit TO off");
            AsynchronousCommitIT.assertReadsOwnWrites(s, "routed", 300, primaryPort);
        }
    }

    /** The same with {@code SET LOCAL synchronous_commit} in each write's transaction, the session's own on. */
    @Test
    void readsItsOwnCommitsMadeAsynchronousBySetLocal() throws SQLException {
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            AsynchronousCommitIT.assertReadsOwnWrites(s, "routed", 300, primaryPort,
                    "SET LOCAL synchronous_commit TO off");
        }
    }

    /**
     * {@code set_config('synchronous_commit', 'off', …)} makes commits asynchronous where pgroute cannot read the value
     * from the statement's shape: the session's own reads stay on the primary (set_config pins it), and its commits
     * count as possibly asynchronous for everyone else's watermarks (the result cache's, causal reads): the database
     * is told within the commit's own cycle, until a SET of synchronous_commit says otherwise.
     */
    @Test
    void commitsAfterASetConfigOfSynchronousCommitCountAsAsynchronous() throws SQLException {
        DatabaseRouting routing = fixture.server().routing("app");
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            s.execute("SET synchronous_commit = on");
            long before = System.nanoTime();
            s.execute("INSERT INTO routed (note) VALUES ('sync')");
            assertThat(routing.asynchronousCommitNotedSince(before)).as("a synchronous commit").isFalse();
            s.execute("SELECT set_config('synchronous_commit', 'off', false)");
            long after = System.nanoTime();
            s.execute("INSERT INTO routed (note) VALUES ('async')");
            assertThat(routing.asynchronousCommitNotedSince(after)).as("after set_config").isTrue();
            try (ResultSet rs = s.executeQuery("SELECT current_setting('synchronous_commit'), count(*) FROM routed "
                    + "WHERE note = 'async'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("off");
                assertThat(rs.getLong(2)).isPositive();
            }
            s.execute("SET synchronous_commit = on");
            long on = System.nanoTime();
            s.execute("INSERT INTO routed (note) VALUES ('sync again')");
            assertThat(routing.asynchronousCommitNotedSince(on)).as("synchronous again").isFalse();
        }
    }

    /**
     * A read right after a transaction is placed again: pgjdbc's next statement (a Parse, then its Bind, Execute and
     * Sync) went to the primary connection of the transaction every time, since the flag saying that connection was
     * just leased for the unit at the head outlived that unit.
     */
    @Test
    void aReadAfterATransactionIsPlacedAgain() throws Exception {
        int replicaReads = 0;
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            for (int i = 0; i < 20; i++) {
                c.setAutoCommit(false);
                s.executeUpdate("INSERT INTO routed (note) VALUES ('in a transaction')");
                c.commit();
                c.setAutoCommit(true);
                Thread.sleep(30);  // past the node monitor's next sample after the commit
                try (ResultSet rs = s.executeQuery("SELECT inet_server_port(), count(*) FROM routed")) {
                    rs.next();
                    replicaReads += rs.getInt(1) == primaryPort ? 0 : 1;
                }
            }
        }
        assertThat(replicaReads).as("reads after a transaction answered by a replica").isGreaterThan(10);
    }

    @Test
    void readsGoToThePrimaryWhileReplayIsPausedAndBackAfterwards() throws Exception {
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            pauseReplay(true);
            try {
                for (int i = 0; i < 1000; i++) {
                    long id;
                    try (ResultSet rs = s.executeQuery("INSERT INTO routed (note) VALUES ('paused') RETURNING id")) {
                        rs.next();
                        id = rs.getLong(1);
                    }
                    try (ResultSet rs = s.executeQuery("SELECT inet_server_port() FROM routed WHERE id = " + id)) {
                        assertThat(rs.next()).as("own write visible while replay is paused").isTrue();
                        assertThat(rs.getInt(1)).isEqualTo(primaryPort);
                    }
                }
            } finally {
                pauseReplay(false);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(
                    () -> assertThat(port(s, "SELECT inet_server_port()")).isIn(replicaPorts));
        }
    }

    @Test
    void aWriteSentToAReplicaIsRerunOnThePrimaryOnceThenGoesStraightThere() throws SQLException {
        DatabaseRouting routing = fixture.server().routing("app");
        Properties simple = new Properties();
        simple.setProperty("preferQueryMode", "simple");
        Properties[] modes = {new Properties(), simple};
        for (int m = 0; m < modes.length; m++) {
            Properties mode = modes[m];
            String marker = "misrouted-" + System.nanoTime();
            awaitReplicaReadsOfRouted();
            long before = routing.safetyNetRetries();
            try (Connection c = fixture.connect("app", "app", mode); Statement s = c.createStatement()) {
                // the replica hint is the test-only way to make pgroute classify a write as a read
                for (int i = 0; i < 3; i++) {
                    assertThat(port(s, "/* pgroute: replica */ INSERT INTO routed (note) VALUES ('" + marker + "-" + i
                            + "') RETURNING inet_server_port() AS mode" + m)).isEqualTo(primaryPort);
                }
                try (ResultSet rs = s.executeQuery("/* pgroute: primary */ SELECT count(*) FROM routed WHERE note LIKE '"
                        + marker + "%'")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("each insert ran exactly once").isEqualTo(3);
                }
            }
            assertThat(routing.safetyNetRetries() - before).as("only the first one needed the safety net")
                    .isEqualTo(1);
        }
    }

    /**
     * Waits until a new session's read of {@code routed} goes to a replica: under global consistency such a read waits
     * for every earlier write to it, or to anything (a statement pgroute cannot parse, such as the set_config test's,
     * counts as a write of every table), until the replicas have replayed it.
     */
    private static void awaitReplicaReadsOfRouted() {
        Awaitility.await("a read of routed on a replica").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20)).until(() -> {
                    try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
                        return replicaPorts.contains(port(s, "SELECT inet_server_port() FROM (SELECT count(*) FROM"
                                + " routed) AS counted"));
                    }
                });
    }

    /**
     * pgjdbc's read-only transaction (Spring's {@code @Transactional(readOnly = true)}): BEGIN READ ONLY and the first
     * statement in one unit, on a replica. A write in it gets 25006, as PostgreSQL answers a write in a read-only
     * transaction, and the client can roll back and go on; read-only transactions keep going to replicas.
     */
    @Test
    void aWriteInAReadOnlyTransactionOnAReplicaGetsWhatPostgresqlAnswers() throws SQLException {
        String marker = "read-only-unit-" + System.nanoTime();
        Properties simple = new Properties();
        simple.setProperty("preferQueryMode", "simple");
        for (Properties mode : new Properties[] {new Properties(), simple}) {
            try (Connection c = fixture.connect("app", "app", mode); Statement s = c.createStatement()) {
                c.setReadOnly(true);
                c.setAutoCommit(false);
                // after login on the primary, monotonic reads keep the session there until the monitor sampled past it
                Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    c.commit();
                    assertThat(port(s, "SELECT inet_server_port()")).isIn(replicaPorts);
                });
                c.commit();
                // the replica hint is the test-only way to make pgroute classify a write as a read
                assertThatThrownBy(() -> s.execute("/* pgroute: replica */ INSERT INTO routed (note) VALUES ('"
                        + marker + "')"))
                        .isInstanceOfSatisfying(SQLException.class, refused -> assertThat(refused.getSQLState())
                                .as("a write in a read-only transaction").isEqualTo("25006"));
                c.rollback();
                Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    assertThat(port(s, "SELECT inet_server_port()")).as("read-only transactions still go to a replica")
                            .isIn(replicaPorts);
                    c.commit();
                });
            }
        }
        try (Connection c = fixture.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("/* pgroute: primary */ SELECT count(*) FROM routed WHERE note = '"
                     + marker + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).as("nothing was written").isZero();
        }
    }

    @Test
    void keepsSessionCharacteristicsByPinningThePrimary() throws SQLException {
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            s.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            for (int i = 0; i < 20; i++) {
                try (ResultSet rs = s.executeQuery("SHOW transaction_isolation")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("repeatable read");
                }
            }
            assertThat(port(s, "SELECT inet_server_port()")).isEqualTo(primaryPort);
        }
    }

    @Test
    void keepsSettingsMadeWithSetConfigByPinning() throws SQLException {
        // the second form is one pgroute's parser cannot read (~~*): the call is found in its words (COMPAT G3)
        for (String where : new String[] {"", " WHERE 'x' ~~* 'X'"}) {
            try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
                s.execute("SELECT pg_catalog.set_config('search_path', 'pinned_schema, public', false)" + where);
                for (int i = 0; i < 50; i++) {
                    try (ResultSet rs = s.executeQuery("SHOW search_path")) {
                        rs.next();
                        assertThat(rs.getString(1)).as("set_config(…)%s", where).isEqualTo("pinned_schema, public");
                    }
                }
            }
        }
    }

    @Test
    void readsOfASessionSerializableByDefaultRunOnThePrimary() throws Exception {
        Properties options = new Properties();
        options.setProperty("options", "-c default_transaction_isolation=serializable");
        try (Connection c = fixture.connect("app", "app", options); Statement s = c.createStatement()) {
            assertSerializableReadsOnThePrimary(c, s);
        }
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            s.execute("SET default_transaction_isolation = 'serializable'");
            assertSerializableReadsOnThePrimary(c, s);
            s.execute("SET default_transaction_isolation = 'repeatable read'");
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(
                    () -> assertThat(port(s, "SELECT inet_server_port()")).as("a standby runs repeatable read")
                            .isIn(replicaPorts));
        }
    }

    /**
     * A hot standby refuses every serializable transaction (0A000 "cannot use serializable mode in a hot standby"),
     * read-only ones too: a session whose transactions are serializable by default reads from the primary.
     */
    private static void assertSerializableReadsOnThePrimary(Connection c, Statement s) throws SQLException {
        for (int i = 0; i < 10; i++) {
            assertThat(port(s, "SELECT inet_server_port()")).as("autocommit read %d", i).isEqualTo(primaryPort);
        }
        c.setReadOnly(true);
        c.setAutoCommit(false);
        for (int i = 0; i < 5; i++) {
            try (ResultSet rs = s.executeQuery(
                    "SELECT inet_server_port(), current_setting('transaction_isolation')")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).as("read-only transaction %d", i).isEqualTo(primaryPort);
                assertThat(rs.getString(2)).isEqualTo("serializable");
            }
            c.commit();
        }
        c.setAutoCommit(true);
        c.setReadOnly(false);
    }

    private static void pauseReplay(boolean pause) throws SQLException {
        for (var each : fixture.cluster().replicas()) {
            try (Connection c = DriverManager.getConnection(each.jdbcUrl("postgres"), fixture.cluster().superuser(),
                    fixture.cluster().superuserPassword()); Statement s = c.createStatement()) {
                s.execute(pause ? "SELECT pg_wal_replay_pause()" : "SELECT pg_wal_replay_resume()");
            }
        }
    }

    private static int port(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }
}
