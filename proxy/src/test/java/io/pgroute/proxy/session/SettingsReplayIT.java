package io.pgroute.proxy.session;

import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The settings pgroute replays on a pooled connection before a client's statement: a statement never runs without
 * them. One event loop and a pool of one connection per node, so that two clients take turns on one primary
 * connection and each lease of the other's connection needs a replay. Statements carry the primary hint so that
 * they all use that one connection.
 */
class SettingsReplayIT {

    private static final String ON_PRIMARY = "/* pgroute: primary */ ";

    @Test
    void aStatementWhoseRoleCanNoLongerBeSetFailsInsteadOfRunningAsTheLoginUser() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        cluster.execute("app", "DO $$ BEGIN CREATE ROLE replay_reader; EXCEPTION WHEN duplicate_object THEN NULL; "
                + "END $$", "GRANT replay_reader TO app");
        cluster.awaitReplication(Duration.ofSeconds(10));
        try (PgrouteServer server = ProxyFixture.server("replay-role.yaml", Map.of("pool", "  size: 1"));
             Connection a = ProxyFixture.connect(server);
             Connection b = ProxyFixture.connect(server);
             Statement sa = a.createStatement();
             Statement sb = b.createStatement()) {
            sa.execute("SET ROLE replay_reader");
            assertThat(single(sa, ON_PRIMARY + "SELECT current_user")).isEqualTo("replay_reader");
            assertThat(single(sb, ON_PRIMARY + "SELECT current_user")).isEqualTo("app");  // b's turn: role reset
            cluster.execute("app", "REVOKE replay_reader FROM app");
            try {
                for (int i = 0; i < 3; i++) {
                    SQLException refused = catchThrowableOfType(
                            () -> single(sa, ON_PRIMARY + "SELECT current_user"), SQLException.class);
                    assertThat((Throwable) refused).as("statement %d of the client whose role was revoked: never run as app", i)
                            .isNotNull();
                    assertThat(refused.getSQLState()).isEqualTo("42501");
                    assertThat(refused.getMessage()).contains("replay_reader").contains("settings");
                }
                assertThat(single(sb, ON_PRIMARY + "SELECT current_user")).as("everyone else is served")
                        .isEqualTo("app");
            } finally {
                cluster.execute("app", "GRANT replay_reader TO app");
            }
            assertThat(single(sa, ON_PRIMARY + "SELECT current_user")).as("granted again: the session goes on")
                    .isEqualTo("replay_reader");
        }
    }

    /**
     * COMPAT P5/P7: PostgreSQL 18 reports {@code search_path} in a ParameterStatus (17 does not). Each client is told
     * what a direct connection would be told, for its own settings only: the replays of the other client's
     * search_path on the one shared connection never reach it. Run against 17 and 18 (the build's second pass).
     */
    @Test
    void eachClientIsToldItsOwnSearchPathAsPostgresqlReportsIt() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        try (PgrouteServer server = ProxyFixture.server("replay-reported.yaml", Map.of("pool", "  size: 1"));
             Connection a = ProxyFixture.connect(server);
             Connection b = ProxyFixture.connect(server);
             Connection direct = DriverManager.getConnection(cluster.primary().jdbcUrl("app"), "app", "app");
             Statement sa = a.createStatement();
             Statement sb = b.createStatement();
             Statement sd = direct.createStatement()) {
            boolean reported = Integer.parseInt(single(sd, "SHOW server_version_num")) >= 180000;
            String atStart = statuses(direct).get("search_path");
            assertThat(atStart).as("reported at login by PostgreSQL 18 only").isEqualTo(reported ? "\"$user\", public" : null);
            assertThat(statuses(a).get("search_path")).isEqualTo(atStart);

            sd.execute("SET search_path = pg_catalog, public");
            sa.execute("SET search_path = pg_catalog, public");
            assertThat(statuses(direct).get("search_path")).isEqualTo(reported ? "pg_catalog, public" : null);
            assertThat(statuses(a).get("search_path")).isEqualTo(statuses(direct).get("search_path"));
            for (int turn = 0; turn < 3; turn++) {  // b and a take turns on the one connection, each replay reported
                assertThat(single(sb, ON_PRIMARY + "SELECT current_setting('search_path')"))
                        .isEqualTo("\"$user\", public");
                assertThat(statuses(b).get("search_path")).as("b, turn %d", turn).isEqualTo(atStart);
                assertThat(single(sa, ON_PRIMARY + "SELECT current_setting('search_path')"))
                        .isEqualTo("pg_catalog, public");
                assertThat(statuses(a).get("search_path")).as("a, turn %d", turn)
                        .isEqualTo(statuses(direct).get("search_path"));
            }
            sa.execute("RESET search_path");
            sd.execute("RESET search_path");
            assertThat(statuses(a).get("search_path")).isEqualTo(statuses(direct).get("search_path"))
                    .isEqualTo(atStart);
        }
    }

    private static Map<String, String> statuses(Connection c) throws SQLException {
        return c.unwrap(org.postgresql.PGConnection.class).getParameterStatuses();
    }

    /**
     * COMPAT G11: setting names and values come from clients, and pgroute writes them into the SQL it replays. A value
     * with quotes, a backslash, a dollar quote and a statement in it survives every replay onto the one shared
     * connection exactly as the client set it, and none of it runs as SQL. (A name cannot carry any of that: since
     * PostgreSQL 15 a custom name must be identifiers separated by dots; it fails as it would directly.)
     */
    @Test
    void settingsWithQuotesAndSemicolonsAreReplayedAsTheClientSetThem() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        cluster.execute("app", "CREATE TABLE IF NOT EXISTS replay_victim (v int)");
        cluster.awaitReplication(Duration.ofSeconds(10));
        String name = "my.replay$Quoting_1";
        String value = "a'b\\c $$d$$ ;drop table replay_victim;--";
        try (PgrouteServer server = ProxyFixture.server("replay-quoting.yaml", Map.of("pool", "  size: 1"));
             Connection a = ProxyFixture.connect(server);
             Connection b = ProxyFixture.connect(server);
             Statement sa = a.createStatement();
             Statement sb = b.createStatement()) {
            sa.execute("SET \"" + name.replace("\"", "\"\"") + "\" = '" + value.replace("'", "''") + "'");
            long before = settingsReplays(server);
            for (int turn = 0; turn < 3; turn++) {  // b and a take turns on the one connection: a's SET is replayed
                assertThat(setting(b, name)).as("b, turn %d: not a's setting", turn).isEmpty();
                assertThat(setting(a, name)).as("a, turn %d", turn).isEqualTo(value);
            }
            assertThat(settingsReplays(server) - before).as("a's setting was replayed").isGreaterThanOrEqualTo(1);
            SQLException badName = catchThrowableOfType(
                    () -> sa.execute("SET \"my.x;drop table replay_victim\" = 1"), SQLException.class);
            assertThat(badName.getSQLState()).as("as PostgreSQL answers it").isEqualTo("42602");
            assertThat(setting(a, name)).as("after the refused SET").isEqualTo(value);
            assertThat(single(sb, ON_PRIMARY + "SELECT to_regclass('replay_victim') IS NOT NULL"))
                    .as("the table the value names still exists").isEqualTo("t");
        }
    }

    /** {@code current_setting(name, true)} on the primary, '' for a setting this session does not have. */
    private static String setting(Connection c, String name) throws SQLException {
        try (java.sql.PreparedStatement read = c.prepareStatement(
                ON_PRIMARY + "SELECT coalesce(current_setting(?, true), '')")) {
            read.setString(1, name);
            try (ResultSet rs = read.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getString(1);
            }
        }
    }

    @Test
    void sessionsWithDifferentSettingsKeepToConnectionsThatHaveThem() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("replay-affinity.yaml", Map.of("pool", "  size: 2"));
             Connection a = ProxyFixture.connect(server);
             Connection b = ProxyFixture.connect(server);
             Statement sa = a.createStatement();
             Statement sb = b.createStatement()) {
            sa.execute("SET search_path = pg_catalog, public");
            sb.execute("SET application_name = 'replay-affinity-b'");
            // both connections of the primary pool in use at once, so that each session's settings end up on one
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            assertThat(single(sa, ON_PRIMARY + "SELECT current_setting('search_path')"))
                    .isEqualTo("pg_catalog, public");
            assertThat(single(sb, ON_PRIMARY + "SELECT current_setting('application_name')"))
                    .isEqualTo("replay-affinity-b");
            a.commit();
            b.commit();
            a.setAutoCommit(true);
            b.setAutoCommit(true);
            long before = settingsReplays(server);
            for (int i = 0; i < 20; i++) {  // taking turns: the most recently used connection is the other's
                assertThat(single(sa, ON_PRIMARY + "SELECT current_setting('search_path')"))
                        .isEqualTo("pg_catalog, public");
                assertThat(single(sb, ON_PRIMARY + "SELECT current_setting('application_name')"))
                        .isEqualTo("replay-affinity-b");
            }
            assertThat(settingsReplays(server) - before).as("settings replays for 40 statements taking turns")
                    .isLessThanOrEqualTo(2);
        }
    }

    /**
     * COMPAT G12: what drivers SET on every new connection (pgjdbc by default: {@code SET extra_float_digits = 3},
     * then {@code SET application_name = 'PostgreSQL JDBC Driver'}, a round trip each) is answered by pgroute and set
     * with the client's next request: a connection that runs one query costs the servers that one request.
     */
    @Test
    void theSetsDriversSendOnEveryNewConnectionCostNoServerRoundTrip() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("replay-connect.yaml", Map.of("pool", "  size: 2"))) {
            String settings = "SELECT current_setting('extra_float_digits') || ' ' "
                    + "|| current_setting('application_name')";
            String expected;
            try (Connection direct = ProxyFixture.get().connectDirect(); Statement s = direct.createStatement()) {
                expected = single(s, settings);
            }
            long before = serverRequests(server);
            for (int i = 0; i < 20; i++) {
                try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
                    assertThat(single(s, settings + " || ' ' || pg_is_in_recovery()")).isEqualTo(expected + " true");
                }
            }
            assertThat(serverRequests(server) - before).as("requests servers answered for 20 connections")
                    .isEqualTo(20);
        }
    }

    /**
     * The SETs pgroute answers itself leave a client where the same SETs leave it on PostgreSQL directly: the same
     * ParameterStatus reports (PostgreSQL's spelling of each value), the same values in force, on the primary and the
     * replicas; a value PostgreSQL refuses is the server's to refuse.
     */
    @Test
    void aSetAnsweredByPgrouteReportsAndSetsWhatPostgresqlWould() throws Exception {
        String[] sets = {"SET extra_float_digits = -3", "SET application_name = 'it''s G12'",
                "SET intervalstyle = 'ISO_8601'", "SET TIME ZONE 'utc'", "SET client_min_messages = warning",
                "SET standard_conforming_strings = true", "SET SESSION application_name TO 'again'",
                "SET application_name = 'again'"};
        String show = "SELECT current_setting('extra_float_digits') || '|' || current_setting('application_name') "
                + "|| '|' || current_setting('IntervalStyle') || '|' || current_setting('TimeZone') || '|' "
                + "|| current_setting('client_min_messages') || '|' || current_setting('standard_conforming_strings')";
        try (PgrouteServer server = ProxyFixture.server("replay-local.yaml", Map.of("pool", "  size: 1"));
             Connection proxied = ProxyFixture.connect(server, "preferQueryMode", "simple");  // as libpq sends
             Connection direct = ProxyFixture.get().connectDirect("preferQueryMode", "simple");
             Connection other = ProxyFixture.connect(server);
             Statement ps = proxied.createStatement();
             Statement ds = direct.createStatement();
             Statement os = other.createStatement()) {
            long before = serverRequests(server);
            for (String each : sets) {
                ps.execute(each);
                ds.execute(each);
                assertThat(proxied.unwrap(org.postgresql.PGConnection.class).getParameterStatuses()).as(each)
                        .containsAllEntriesOf(direct.unwrap(org.postgresql.PGConnection.class).getParameterStatuses());
            }
            assertThat(serverRequests(server) - before).as("requests servers answered for the SETs").isZero();
            String expected = single(ds, show);
            assertThat(expected).isEqualTo("-3|again|iso_8601|UTC|warning|on");
            assertThat(single(os, ON_PRIMARY + "SELECT current_setting('application_name')"))
                    .as("another client on the one primary connection").isEqualTo("PostgreSQL JDBC Driver");
            assertThat(single(ps, ON_PRIMARY + show)).as("on the primary").isEqualTo(expected);
            assertThat(single(ps, "SELECT pg_is_in_recovery()::text || ' ' || (" + show + ")"))
                    .as("on a replica").isEqualTo("true " + expected);
            SQLException refused = catchThrowableOfType(() -> ps.execute("SET extra_float_digits = 4"),
                    SQLException.class);
            assertThat(refused.getSQLState()).as("out of range: the server's error").isEqualTo("22023");
            assertThat(single(ps, ON_PRIMARY + "SELECT current_setting('extra_float_digits')")).isEqualTo("-3");
        }
    }

    /**
     * COMPAT G12: a SHOW of a parameter the server reports to the client (SQLAlchemy's {@code show
     * standard_conforming_strings} on every new connection) is answered from what the client was told, as PostgreSQL
     * answers it: one text column named as PostgreSQL spells the parameter, the same value; after SETs too.
     */
    @Test
    void aShowOfAReportedParameterIsAnsweredAsPostgresqlWould() throws Exception {
        String[] shows = {"SHOW standard_conforming_strings", "show TimeZone", "SHOW TIME ZONE", "SHOW DateStyle",
                "SHOW intervalstyle", "SHOW application_name", "SHOW server_version", "SHOW client_encoding"};
        try (PgrouteServer server = ProxyFixture.server("replay-show.yaml", Map.of("pool", "  size: 1"));
             Connection proxied = ProxyFixture.connect(server, "preferQueryMode", "simple");
             Connection direct = ProxyFixture.get().connectDirect("preferQueryMode", "simple");
             Statement ps = proxied.createStatement();
             Statement ds = direct.createStatement()) {
            for (String set : new String[] {null, "SET TIME ZONE 'UTC'", "SET application_name = 'shown'",
                    "SET intervalstyle = 'iso_8601'"}) {
                if (set != null) {
                    ps.execute(set);
                    ds.execute(set);
                }
                long before = serverRequests(server);
                for (String show : shows) {
                    assertThat(described(ps, show)).as("%s after %s", show, set).isEqualTo(described(ds, show));
                }
                assertThat(serverRequests(server) - before).as("requests servers answered for the SHOWs").isZero();
            }
            assertThat(described(ps, "SHOW work_mem")).as("not reported: the server's").isEqualTo(
                    described(ds, "SHOW work_mem"));
        }
    }

    /** The column name, type name and value of {@code show}'s one row. */
    private static String described(Statement s, String show) throws SQLException {
        try (ResultSet rs = s.executeQuery(show)) {
            assertThat(rs.next()).isTrue();
            java.sql.ResultSetMetaData meta = rs.getMetaData();
            String result = meta.getColumnCount() + " " + meta.getColumnName(1) + " " + meta.getColumnTypeName(1)
                    + " " + rs.getString(1);
            assertThat(rs.next()).isFalse();
            return result;
        }
    }

    /** Requests servers answered through {@code server}: its primary's and its replicas'. */
    private static long serverRequests(PgrouteServer server) throws SQLException {
        return ProxyFixture.stat(server, "primary") + ProxyFixture.stat(server, "replica");
    }

    private static long settingsReplays(PgrouteServer server) throws SQLException {
        return ProxyFixture.stat(server, "settings_replays");
    }

    /**
     * COMPAT G10: a connection that dies while pgroute replays a client's settings on it is a backend failure: another
     * connection is leased and the client sees no error.
     */
    @Test
    void aConnectionLostDuringTheReplayIsReplacedAndTheClientSeesNoError() throws Exception {
        whileAReplayWaits("replay-lost.yaml", (sa, sb, locker, replaying, read) -> {
            locker.execute("SELECT pg_terminate_backend(" + replaying + ")");
            locker.getConnection().rollback();
            assertThat(read.get(30, TimeUnit.SECONDS)).as("a's statement, replayed on another connection")
                    .isEqualTo("pg_default");
        });
    }

    /**
     * COMPAT X2: a cancel that arrives while pgroute replays the client's settings stops the client's statement (57014),
     * never the replay.
     */
    @Test
    void aCancelDuringTheReplayCancelsTheStatementNotTheReplay() throws Exception {
        whileAReplayWaits("replay-cancel.yaml", (sa, sb, locker, replaying, read) -> {
            sa.cancel();
            Thread.sleep(300);  // the cancel reaches pgroute, which keeps it from the replay
            locker.getConnection().rollback();
            assertThat(read.get(30, TimeUnit.SECONDS)).as("what a's cancelled statement got")
                    .isEqualTo("error 57014");
            assertThat(single(sa, ON_PRIMARY + "SELECT current_setting('default_tablespace')"))
                    .as("the session's setting is still there").isEqualTo("pg_default");
            assertThat(single(sb, ON_PRIMARY + "SELECT current_setting('default_tablespace')")).isEmpty();
        });
    }

    private interface WhileWaiting {
        void run(Statement sa, Statement sb, Statement locker, int replaying, CompletableFuture<String> read)
                throws Exception;
    }

    /**
     * Client a SETs default_tablespace and b takes the one primary connection, then pg_tablespace is locked (a SET
     * default_tablespace looks the tablespace up) and a reads the setting: its replay waits for the lock. {@code
     * then} gets a's and b's statements, the locking statement (its transaction open), the pid of the waiting
     * replay's backend and a's read, which answers the setting or "error SQLSTATE".
     */
    private static void whileAReplayWaits(String name, WhileWaiting then) throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        try (PgrouteServer server = ProxyFixture.server(name, Map.of("pool", "  size: 1"));
             Connection a = ProxyFixture.connect(server);
             Connection b = ProxyFixture.connect(server);
             Statement sa = a.createStatement();
             Statement sb = b.createStatement();
             Connection admin = superuser(cluster);
             Statement locker = admin.createStatement()) {
            sa.execute("SET default_tablespace = 'pg_default'");
            assertThat(single(sb, ON_PRIMARY + "SELECT current_setting('default_tablespace')")).isEmpty();
            admin.setAutoCommit(false);
            locker.execute("LOCK TABLE pg_tablespace IN ACCESS EXCLUSIVE MODE");
            CompletableFuture<String> read = CompletableFuture.supplyAsync(
                    () -> quietly(() -> single(sa, ON_PRIMARY + "SELECT current_setting('default_tablespace')")));
            then.run(sa, sb, locker, awaitBlockedReplay(admin), read);
        }
    }

    /**
     * The pid of the primary backend whose settings replay waits for a lock, asked on {@code admin}, the connection
     * that holds the lock (a new connection would wait for it too).
     */
    private static int awaitBlockedReplay(Connection admin) throws Exception {
        try (Statement s = admin.createStatement()) {
            int[] pid = new int[1];
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
                s.execute("SELECT pg_stat_clear_snapshot()");  // inside a transaction the view is a snapshot
                try (ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        + "AND query LIKE '%default_tablespace%' AND usename = 'app'")) {
                    if (!rs.next()) {
                        return false;
                    }
                    pid[0] = rs.getInt(1);
                    return true;
                }
            });
            return pid[0];
        }
    }

    private interface SqlCall {
        String call() throws SQLException;
    }

    /** The call's result, or "error SQLSTATE". */
    private static String quietly(SqlCall call) {
        try {
            return call.call();
        } catch (SQLException e) {
            return "error " + e.getSQLState();
        }
    }

    private static String single(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }


    private static Connection superuser(LocalCluster cluster) throws SQLException {
        return DriverManager.getConnection(cluster.primary().jdbcUrl("app"), cluster.superuser(),
                cluster.superuserPassword());
    }
}
