package io.pgroute.proxy.session;

import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.session.BackgroundClients.Settings;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Session settings follow a client in transaction pooling: with two backend connections shared by several busy
 * clients, what a client SET stays set on whichever connection runs its next statement, what it rolled back or
 * reset does not, and no other client ever sees it.
 */
class SessionStateIT {

    private static final int STATEMENTS = 100;
    /**
     * Statements a test goes on running until its client has moved between backends: moving needs another client to
     * take the backend in between, which a busy machine can delay past the first {@link #STATEMENTS}.
     */
    private static final int MAX_STATEMENTS = 2_000;

    private static ProxyFixture fixture;
    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        fixture = ProxyFixture.get();
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS sess_a");
            s.execute("CREATE TABLE IF NOT EXISTS sess_a.sess_marker (v text)");
            s.execute("TRUNCATE sess_a.sess_marker");
            s.execute("INSERT INTO sess_a.sess_marker VALUES ('a')");
        }
        server = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(fixture.cluster(), Map.of("pool",
                "  size: 2")), "session-state.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void keepsSetsAcrossAutocommitStatementsAndTransactionsWhileBackendsMove() throws Exception {
        Properties props = new Properties();
        Settings defaults = directSettings(props);
        Settings set = new Settings("sess_a, public", "1234ms", "client-a", "America/New_York");
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), defaults);
             Connection c = connect(props); Statement s = c.createStatement()) {
            s.execute("SET search_path = sess_a, public");
            s.execute("SET statement_timeout = 1234");
            s.execute("SET application_name = 'client-a'");
            s.execute("SET TIME ZONE 'America/New_York'");
            Set<Integer> pids = new HashSet<>();
            for (int i = 0; i < STATEMENTS || (pids.size() < 2 && i < MAX_STATEMENTS); i++) {
                if (i % 10 == 0) {
                    c.setAutoCommit(false);
                    assertThat(settingsAndPid(s, pids)).as("in transaction %d", i).isEqualTo(set);
                    assertThat(scalar(s, "SELECT v FROM sess_marker")).isEqualTo("a");
                    c.commit();
                    c.setAutoCommit(true);
                } else {
                    assertThat(settingsAndPid(s, pids)).as("autocommit statement %d", i).isEqualTo(set);
                }
            }
            assertThat(pids).as("backend pids the client ran on").hasSizeGreaterThanOrEqualTo(2);
            assertThat(others.pids()).as("backend pids the other clients ran on").containsAnyElementsOf(pids);
            PGConnection pg = c.unwrap(PGConnection.class);
            assertThat(pg.getParameterStatus("application_name")).isEqualTo("client-a");
            assertThat(pg.getParameterStatus("TimeZone")).isEqualTo("America/New_York");
            assertThatThrownBy(() -> s.execute("SELECT pg_sleep(3)"))
                    .as("statement_timeout 1234ms still applies")
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("57014");
        }
    }

    @Test
    void forgetsSetLocalWhenItsTransactionEnds() throws Exception {
        Properties props = new Properties();
        Settings defaults = directSettings(props);
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), defaults);
             Connection c = connect(props); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("SET LOCAL statement_timeout = 777");
            s.execute("SET LOCAL search_path = sess_a");
            assertThat(BackgroundClients.read(s)).isEqualTo(
                    new Settings("sess_a", "777ms", defaults.applicationName(), defaults.timeZone()));
            c.commit();
            c.setAutoCommit(true);
            assertSettingsOnMovingBackends(s, defaults);
        }
    }

    @Test
    void forgetsASetInARolledBackOrFailedTransaction() throws Exception {
        Properties props = new Properties();
        Settings defaults = directSettings(props);
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), defaults);
             Connection c = connect(props); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("SET search_path = sess_a");
            s.execute("SET application_name = 'rolled-back'");
            assertThat(BackgroundClients.read(s).searchPath()).isEqualTo("sess_a");
            c.rollback();
            c.setAutoCommit(true);
            assertSettingsOnMovingBackends(s, defaults);
            assertThat(c.unwrap(PGConnection.class).getParameterStatus("application_name"))
                    .isEqualTo(defaults.applicationName());

            c.setAutoCommit(false);
            s.execute("SET statement_timeout = 4321");
            assertThatThrownBy(() -> s.execute("SELECT 1/0")).isInstanceOf(SQLException.class);
            c.commit();  // COMMIT of a failed transaction is a rollback
            c.setAutoCommit(true);
            assertSettingsOnMovingBackends(s, defaults);

            assertThatThrownBy(() -> s.execute("SET statement_timeout = 999; SELECT 1/0"))
                    .as("a SET and a failure in one implicit transaction")
                    .isInstanceOf(SQLException.class);
            assertSettingsOnMovingBackends(s, defaults);
        }
    }

    @Test
    void forgetsASetRolledBackToASavepoint() throws Exception {
        Properties props = new Properties();
        Settings defaults = directSettings(props);
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), defaults);
             Connection c = connect(props); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("SET search_path = sess_a");
            Savepoint savepoint = c.setSavepoint();
            s.execute("SET statement_timeout = 555");
            c.rollback(savepoint);
            c.commit();
            c.setAutoCommit(true);
            Settings expected = new Settings("sess_a", defaults.statementTimeout(), defaults.applicationName(),
                    defaults.timeZone());
            assertSettingsOnMovingBackends(s, expected);
        }
    }

    /** COMPAT G6: RESET ALL and DISCARD ALL go back to the client's startup values, not pgroute's. */
    @Test
    void resetAllAndDiscardAllGoBackToTheStartupValues() throws Exception {
        Properties props = new Properties();
        props.setProperty("ApplicationName", "reset-start");
        props.setProperty("assumeMinServerVersion", "9.0");  // application_name in the startup packet, not a SET
        Settings defaults = directSettings(props);
        assertThat(defaults.applicationName()).isEqualTo("reset-start");
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), defaults);
             Connection c = connect(props); Statement s = c.createStatement();
             Connection direct = connectDirect(props); Statement ds = direct.createStatement()) {
            PGConnection pg = c.unwrap(PGConnection.class);
            for (String reset : new String[] {"RESET ALL", "DISCARD ALL"}) {
                for (Statement each : new Statement[] {s, ds}) {
                    each.execute("SET search_path = sess_a");
                    each.execute("SET statement_timeout = 2345");
                    each.execute("SET application_name = 'changed'");
                    each.execute("SET TIME ZONE 'Asia/Tokyo'");
                }
                Set<Integer> pids = new HashSet<>();
                for (int i = 0; i < 5; i++) {
                    assertThat(settingsAndPid(s, pids)).isEqualTo(
                            new Settings("sess_a", "2345ms", "changed", "Asia/Tokyo"));
                }
                s.execute(reset);
                ds.execute(reset);
                Settings afterReset = BackgroundClients.read(ds);
                assertThat(afterReset).as("direct after %s", reset).isEqualTo(defaults);
                assertSettingsOnMovingBackends(s, afterReset);
                assertThat(pg.getParameterStatuses()).as("ParameterStatus after %s", reset)
                        .containsAllEntriesOf(direct.unwrap(PGConnection.class).getParameterStatuses());
            }
        }
    }

    /**
     * pgroute opens its server connections without the client's application_name and sets it on each lease, so a
     * RESET takes the server to its own default, not the client's startup value: pgroute tells the client its own
     * (as PostgreSQL does) and sets the connection again before the client's next request, also when the client
     * keeps that connection (pinned by a LISTEN here), with a name PostgreSQL cleans (non-ASCII becomes '?').
     */
    @Test
    void resetGoesBackToTheStartupApplicationNameOnAConnectionTheClientKeeps() throws Exception {
        for (String name : new String[] {"kept-start", "caf\u00e9 'quoted' \\ name"}) {
            Properties props = new Properties();
            props.setProperty("ApplicationName", name);
            props.setProperty("assumeMinServerVersion", "9.0");  // application_name in the startup packet, not a SET
            List<String> seen = new ArrayList<>();
            for (boolean direct : new boolean[] {true, false}) {
                try (Connection c = direct ? connectDirect(props) : connect(props); Statement s = c.createStatement()) {
                    PGConnection pg = c.unwrap(PGConnection.class);
                    s.execute("LISTEN kept_channel");
                    StringBuilder steps = new StringBuilder("start " + pg.getParameterStatus("application_name") + "/"
                            + scalar(s, "SHOW application_name"));
                    for (String reset : new String[] {"RESET application_name", "SET application_name TO DEFAULT",
                            "RESET ALL", "SET application_name = 'x'; RESET application_name"}) {
                        s.execute("SET application_name = 'changed'");
                        s.execute(reset);
                        steps.append(", ").append(reset).append(": ").append(pg.getParameterStatus("application_name"))
                                .append("/").append(scalar(s, "SHOW application_name")).append("/")
                                .append(scalar(s, "SELECT application_name FROM pg_stat_activity"
                                        + " WHERE pid = pg_backend_pid()"));
                    }
                    c.setAutoCommit(false);  // in a transaction the next statement sees the client's value too
                    for (String end : new String[] {"commit", "rollback"}) {
                        s.execute("SET application_name = 'in-transaction'");
                        s.execute(end.equals("commit") ? "RESET application_name" : "RESET ALL");
                        steps.append(", in a transaction: ").append(pg.getParameterStatus("application_name"))
                                .append("/").append(scalar(s, "SHOW application_name"));
                        s.execute("SET application_name = 'after-reset'");
                        steps.append("/").append(scalar(s, "SHOW application_name"));
                        if (end.equals("commit")) {
                            c.commit();
                        } else {
                            c.rollback();
                        }
                        steps.append(", after ").append(end).append(": ")
                                .append(pg.getParameterStatus("application_name")).append("/")
                                .append(scalar(s, "SHOW application_name"));
                    }
                    c.setAutoCommit(true);
                    seen.add(steps.toString());
                }
            }
            assertThat(seen.get(1)).as("through pgroute").isEqualTo(seen.get(0));
        }
    }

    @Test
    void appliesStartupParametersAndOptionsOnEveryStatement() throws Exception {
        Properties props = new Properties();
        props.setProperty("currentSchema", "sess_a");
        props.setProperty("ApplicationName", "app1");
        props.setProperty("options", "-c statement_timeout=1234");
        Settings expected = directSettings(props);
        assertThat(expected).isEqualTo(new Settings("sess_a", "1234ms", "app1", expected.timeZone()));
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), expected);
             Connection c = connect(props); Statement s = c.createStatement()) {
            Set<Integer> pids = new HashSet<>();
            for (int i = 0; i < STATEMENTS || (pids.size() < 2 && i < MAX_STATEMENTS); i++) {
                assertThat(settingsAndPid(s, pids)).as("statement %d", i).isEqualTo(expected);
                if (i % 25 == 0) {
                    assertThat(scalar(s, "SELECT v FROM sess_marker")).isEqualTo("a");
                }
            }
            assertThat(pids).hasSizeGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void reportsTheSameParameterStatusAsADirectConnection() throws Exception {
        Properties props = new Properties();
        props.setProperty("ApplicationName", "ps-start");
        Settings defaults = directSettings(props);
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), defaults);
             Connection proxied = connect(props); Statement ps = proxied.createStatement();
             Connection direct = connectDirect(props); Statement ds = direct.createStatement()) {
            PGConnection proxiedPg = proxied.unwrap(PGConnection.class);
            PGConnection directPg = direct.unwrap(PGConnection.class);
            assertThat(proxiedPg.getParameterStatuses()).as("at startup")
                    .containsAllEntriesOf(directPg.getParameterStatuses());

            for (Statement each : new Statement[] {ps, ds}) {
                each.execute("SET application_name = 'ps-set'");
                each.execute("SET TIME ZONE 'UTC'");
            }
            assertSettingsOnMovingBackends(ps, new Settings(defaults.searchPath(),
                    defaults.statementTimeout(), "ps-set", "UTC"));
            assertThat(proxiedPg.getParameterStatuses()).as("after SET and moving backends")
                    .containsAllEntriesOf(directPg.getParameterStatuses())
                    .containsEntry("application_name", "ps-set")
                    .containsEntry("TimeZone", "UTC");

            for (Connection each : new Connection[] {proxied, direct}) {
                each.setAutoCommit(false);
                try (Statement statement = each.createStatement()) {
                    statement.execute("SET application_name = 'rolled-back'");
                    statement.execute("SET LOCAL TimeZone = 'Asia/Tokyo'");
                }
                each.rollback();
                each.setAutoCommit(true);
            }
            assertSettingsOnMovingBackends(ps, new Settings(defaults.searchPath(),
                    defaults.statementTimeout(), "ps-set", "UTC"));
            assertThat(proxiedPg.getParameterStatuses()).as("after a rolled-back SET")
                    .containsAllEntriesOf(directPg.getParameterStatuses())
                    .containsEntry("application_name", "ps-set");

            // COMPAT G2: a SET LOCAL ends with its transaction, committed too; its ParameterStatus, and the one
            // PostgreSQL sends when the value goes back, reach the client, and it is never replayed afterwards
            for (Connection each : new Connection[] {proxied, direct}) {
                each.setAutoCommit(false);
                try (Statement statement = each.createStatement()) {
                    statement.execute("SET LOCAL TimeZone = 'Asia/Tokyo'");
                    assertThat(scalar(statement, "SHOW TimeZone")).isEqualTo("Asia/Tokyo");
                    assertThat(each.unwrap(PGConnection.class).getParameterStatus("TimeZone"))
                            .as("inside the transaction").isEqualTo("Asia/Tokyo");
                }
                each.commit();
                each.setAutoCommit(true);
            }
            assertThat(proxiedPg.getParameterStatus("TimeZone")).as("after the commit").isEqualTo("UTC");
            assertSettingsOnMovingBackends(ps, new Settings(defaults.searchPath(),
                    defaults.statementTimeout(), "ps-set", "UTC"));
            assertThat(proxiedPg.getParameterStatuses()).as("after a committed SET LOCAL")
                    .containsAllEntriesOf(directPg.getParameterStatuses());
        }
    }

    @Test
    void keepsASetMadeBeforeASavepointTakenInARequestThatFailed() throws Exception {
        Properties props = new Properties();
        Settings defaults = directSettings(props);
        Properties autosave = new Properties();
        autosave.setProperty("autosave", "always");  // SAVEPOINT PGJDBC_AUTOSAVE in the same Sync as each query
        Settings expected = new Settings(defaults.searchPath(), "4321ms", defaults.applicationName(),
                defaults.timeZone());
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), defaults)) {
            for (Properties each : new Properties[] {autosave, props}) {
                try (Connection c = connect(each); Statement s = c.createStatement()) {
                    c.setAutoCommit(false);
                    if (each == autosave) {
                        s.execute("SET statement_timeout = '4321ms'");
                        assertThatThrownBy(() -> s.execute("SELECT 1/0")).isInstanceOf(SQLException.class);
                    } else {
                        s.execute("SAVEPOINT a");
                        s.execute("SET statement_timeout = '4321ms'");
                        assertThatThrownBy(() -> s.execute("SAVEPOINT a; SELECT 1/0"))
                                .isInstanceOf(SQLException.class);
                        s.execute("ROLLBACK TO SAVEPOINT a");
                    }
                    c.commit();  // the savepoint rolled back to was taken after the SET: PostgreSQL keeps it
                    c.setAutoCommit(true);
                    assertSettingsOnMovingBackends(s, expected);
                }
            }
        }
    }

    @Test
    void keepsWhatACommitCommittedWhenTheTransactionChainsOrTheRequestFailsAfterIt() throws Exception {
        Properties props = new Properties();
        Settings defaults = directSettings(props);
        Properties simple = new Properties();
        simple.setProperty("preferQueryMode", "simple");  // the last request as one Query, not three Executes
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), defaults)) {
            for (Properties mode : new Properties[] {props, simple}) {
                try (Connection c = connect(mode); Statement s = c.createStatement();
                     Connection direct = connectDirect(mode); Statement ds = direct.createStatement()) {
                    for (Statement each : new Statement[] {s, ds}) {
                        each.execute("BEGIN");
                        each.execute("SET search_path = sess_a");
                        each.execute("COMMIT AND CHAIN");
                        each.execute("SET application_name = 'rolled-back'");
                        each.execute("ROLLBACK AND CHAIN");
                        each.execute("SET TIME ZONE 'Asia/Tokyo'");
                        each.execute("ROLLBACK");
                        assertThatThrownBy(() -> each.execute("SET statement_timeout = 2345; COMMIT; SELECT 1/0"))
                                .isInstanceOf(SQLException.class);
                    }
                    Settings expected = BackgroundClients.read(ds);
                    assertThat(expected).as("direct").isEqualTo(new Settings("sess_a", "2345ms",
                            defaults.applicationName(), defaults.timeZone()));
                    assertSettingsOnMovingBackends(s, expected);
                }
            }
        }
    }

    @Test
    void keepsTransactionParametersSetOutsideATransactionForNoOtherTransaction() throws Exception {
        Properties props = new Properties();
        Settings defaults = directSettings(props);
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), defaults);
             Connection c = connect(props); Statement s = c.createStatement()) {
            // a standby refuses these two, and a session setting is replayed on replicas for the next read
            s.execute("SET transaction_isolation = 'serializable'");
            s.execute("SET transaction_read_only = off");
            s.execute("SET transaction_deferrable = on");
            assertSettingsOnMovingBackends(s, defaults);
            try (ResultSet rs = s.executeQuery("SELECT current_setting('transaction_isolation'),"
                    + " current_setting('transaction_deferrable')")) {
                assertThat(rs.next()).isTrue();
                assertThat(List.of(rs.getString(1), rs.getString(2))).as("as PostgreSQL: only for that SET's own "
                        + "transaction").containsExactly("read committed", "off");
            }
        }
    }

    /**
     * An invalid SET fails right away with PostgreSQL's SQLSTATE, in the simple and the extended protocol, the next
     * statement runs, and the failed SET is never replayed: later statements on any backend see the value from before
     * it (COMPAT G9).
     */
    @Test
    void failsAnInvalidSetAtOnceAndNeverReplaysIt() throws Exception {
        Properties props = new Properties();
        Settings defaults = directSettings(props);
        Properties simple = new Properties();
        simple.setProperty("preferQueryMode", "simple");
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), defaults)) {
            for (Properties mode : new Properties[] {props, simple}) {
                String label = mode == simple ? "simple" : "extended";
                try (Connection c = connect(mode); Statement s = c.createStatement();
                     Connection direct = connectDirect(mode); Statement ds = direct.createStatement()) {
                    String lockTimeout = scalar(ds, "SHOW lock_timeout");
                    for (Statement each : new Statement[] {ds, s}) {
                        String where = label + (each == ds ? ", direct" : ", through pgroute");
                        assertThat(sqlState(each, "SET lock_timeout TO 'sdfs'")).as(where).isEqualTo("22023");
                        assertThat(scalar(each, "SELECT 1")).as(where).isEqualTo("1");
                        assertThat(sqlState(each, "SET no_such_setting = 1")).as(where).isEqualTo("42704");
                        assertThat(scalar(each, "SELECT 1")).as(where).isEqualTo("1");
                    }
                    assertLockTimeoutOnMovingBackends(s, lockTimeout, label);

                    for (Statement each : new Statement[] {ds, s}) {
                        each.execute("SET lock_timeout = '3s'");
                        assertThat(sqlState(each, "SET lock_timeout TO 'sdfs'")).isEqualTo("22023");
                    }
                    assertThat(scalar(ds, "SHOW lock_timeout")).as("direct").isEqualTo("3s");
                    assertLockTimeoutOnMovingBackends(s, "3s", label + ", after a valid SET");
                }
            }
        }
    }

    // ---- helpers ----

    /**
     * At least 20 autocommit statements, and as many more as it takes (within 10 s) to have run on two backend
     * connections, all see {@code expected}.
     */
    @Test
    void replaysSettingsWrittenWithACommentOrInASpecialForm() throws Exception {
        Properties props = new Properties();
        Settings defaults = directSettings(props);
        try (BackgroundClients others = new BackgroundClients(3, () -> connect(props), defaults);
             Connection c = connect(props); Statement s = c.createStatement()) {
            s.execute("SET my.quoted = 'a''b;c' -- the rest of this line is a comment");
            s.execute("SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE");
            s.execute("SET \"My.Upper\" = 2");
            Set<Integer> pids = new HashSet<>();
            for (int i = 0; i < STATEMENTS || (pids.size() < 2 && i < MAX_STATEMENTS); i++) {
                try (ResultSet rs = s.executeQuery("SELECT current_setting('my.quoted'), current_setting('timezone'),"
                        + " current_setting('my.upper'), pg_backend_pid()")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(java.util.List.of(rs.getString(1), rs.getString(2), rs.getString(3)))
                            .as("statement %d", i).containsExactly("a'b;c", "<+02>-02", "2");
                    pids.add(rs.getInt(4));
                }
            }
            assertThat(pids).as("backend pids the client ran on").hasSizeGreaterThanOrEqualTo(2);
        }
    }

    private static void assertSettingsOnMovingBackends(Statement s, Settings expected) throws SQLException {
        Set<Integer> pids = new HashSet<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int i = 0; i < 20 || pids.size() < 2 && System.nanoTime() < deadline; i++) {
            assertThat(settingsAndPid(s, pids)).as("statement %d", i).isEqualTo(expected);
        }
        assertThat(pids).as("backend pids").hasSizeGreaterThanOrEqualTo(2);
    }

    /** {@code SHOW lock_timeout} and {@code current_setting} say {@code expected} on two or more backends. */
    private static void assertLockTimeoutOnMovingBackends(Statement s, String expected, String label)
            throws SQLException {
        Set<Integer> pids = new HashSet<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int i = 0; i < 20 || pids.size() < 2 && System.nanoTime() < deadline; i++) {
            assertThat(scalar(s, "SHOW lock_timeout")).as("%s: SHOW, statement %d", label, i).isEqualTo(expected);
            try (ResultSet rs = s.executeQuery("SELECT current_setting('lock_timeout'), pg_backend_pid()")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).as("%s: current_setting, statement %d", label, i).isEqualTo(expected);
                pids.add(rs.getInt(2));
            }
        }
        assertThat(pids).as("%s: backend pids", label).hasSizeGreaterThanOrEqualTo(2);
    }

    /** The SQLSTATE {@code sql} fails with, or 00000 when it succeeds. */
    private static String sqlState(Statement s, String sql) {
        try {
            s.execute(sql);
            return "00000";
        } catch (SQLException e) {
            return e.getSQLState();
        }
    }

    private static Settings settingsAndPid(Statement s, Set<Integer> pids) throws SQLException {
        try (ResultSet rs = s.executeQuery(BackgroundClients.SETTINGS_SQL)) {
            assertThat(rs.next()).isTrue();
            pids.add(rs.getInt(5));
            return new Settings(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4));
        }
    }

    private static String scalar(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    /** What a direct connection with the same connection properties sees before any SET. */
    private static Settings directSettings(Properties props) throws SQLException {
        try (Connection c = connectDirect(props); Statement s = c.createStatement()) {
            return BackgroundClients.read(s);
        }
    }

    private static Connection connectDirect(Properties extra) throws SQLException {
        return DriverManager.getConnection(fixture.cluster().primary().jdbcUrl(ProxyFixture.DATABASE),
                withUser(extra));
    }

    private static Connection connect(Properties extra) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/"
                + ProxyFixture.DATABASE, withUser(extra));
    }

    private static Properties withUser(Properties extra) {
        Properties result = new Properties();
        result.putAll(extra);
        result.setProperty("user", "app");
        result.setProperty("password", "app");
        result.setProperty("connectTimeout", "10");
        result.setProperty("socketTimeout", "30");
        return result;
    }
}
