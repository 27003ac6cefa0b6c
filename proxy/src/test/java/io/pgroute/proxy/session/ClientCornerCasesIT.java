package io.pgroute.proxy.session;

import io.pgroute.config.ConfigLoader;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Close;
import io.pgroute.protocol.frontend.CopyData;
import io.pgroute.protocol.frontend.CopyDone;
import io.pgroute.protocol.frontend.CopyFail;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Flush;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.session.WireClient.Message;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Corner cases of COMPAT.md that drivers reach in ordinary use, each against a pgroute with one I/O thread, one server
 * connection and no replicas, so that a client holding the connection makes every other client wait and a release
 * at the wrong moment shows: a cursor read with Execute(n) and Flush outside a transaction (node-postgres pg-cursor,
 * E1), a multi-statement Query that leaves a transaction open (E7), the empty query in the extended protocol (E14,
 * psycopg 3 and SQLAlchemy's pre-ping), a Close of names never prepared (E13), a batch whose third row fails (E4),
 * more statements than a server connection keeps prepared (V7), the server's own idle-in-transaction timeout
 * (T5), a transaction pipelined in one write (E6), settings one client leaves behind (G4), a driver that checks it
 * reached the primary (P3), an unknown startup parameter (S5), and cancels racing another client's statements (X1);
 * a pooled connection the server ends while idle (A2), a temp table dropped at commit (T9), another client's DateStyle
 * next to pgjdbc (P6); with two connections, a SET run again by Bind alone (G13), one text bound with several types
 * (V2) and
 * a schema-qualified advisory lock (T7); and against a
 * pgroute with replicas, reads and writes pipelined in one write (E5), a pipeline whose middle unit fails (E16),
 * a statement with 65 535 parameters (L2), a unit that fails after a write (E8, also with the result cache) and a
 * million-row portal read with Execute(100) and Flush (E2, also with the result cache); with two connections and 16
 * clients, unnamed statements parsed in one unit and bound in the next (E9, on a pgroute with replicas of its own);
 * copy messages outside COPY (C4).
 */
class ClientCornerCasesIT {

    private static ProxyFixture fixture;
    /** One I/O thread, pool.size 1, the primary only: one server connection for every client. */
    private static PgrouteServer single;
    /** The primary and two replicas, default pool: reads spread. */
    private static PgrouteServer spread;
    /** One I/O thread, pool.size 2, the primary only: a client's next statement may run on the other connection. */
    private static PgrouteServer pair;

    @BeforeAll
    static void start() throws Exception {
        fixture = ProxyFixture.get();
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS cc_rows (id int PRIMARY KEY)");
            s.execute("CREATE TABLE IF NOT EXISTS cc_tx (id int)");
            s.execute("CREATE TABLE IF NOT EXISTS cc_batch_direct (id int PRIMARY KEY)");
            s.execute("CREATE TABLE IF NOT EXISTS cc_batch_proxy (id int PRIMARY KEY)");
            s.execute("CREATE TABLE IF NOT EXISTS cc_pipe (k int, v int)");
            s.execute("CREATE TABLE IF NOT EXISTS cc_unit (id int)");  // before the proxies read the catalog
            s.execute("CREATE TABLE IF NOT EXISTS cc_split (id int)");
            s.execute("TRUNCATE cc_split");
            s.execute("TRUNCATE cc_rows, cc_tx, cc_batch_direct, cc_batch_proxy, cc_pipe");
            s.execute("INSERT INTO cc_rows SELECT generate_series(1, 10)");
        }
        String yaml = ProxyFixture.yaml(fixture.cluster(), Map.of("pool", "  size: 1"))
                .replaceAll("    replicas:\n(      - [^\n]*\n)+", "");
        assertThat(yaml).doesNotContain("replicas");
        single = new PgrouteServer(ConfigLoader.parse(yaml, "corner-cases.yaml", System::getenv), 1).start();
        spread = ProxyFixture.server("corner-cases-spread.yaml", Map.of());
        pair = new PgrouteServer(ConfigLoader.parse(yaml.replace("  size: 1", "  size: 2"), "corner-cases-pair.yaml",
                System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (single != null) {
            single.close();
        }
        if (spread != null) {
            spread.close();
        }
        if (pair != null) {
            pair.close();
        }
    }

    /**
     * Startup parameters that drivers send differently (a client's TimeZone, DateStyle, IntervalStyle,
     * extra_float_digits, application_name; pgjdbc's own) are replayed on each lease instead of keying pools: a raw
     * client with its own set and a pgjdbc client share the one server connection, each statement sees its own
     * client's values, the login reports them as the server would, and one pool serves both. A value the server
     * refuses fails the login with its error, FATAL, as on the server.
     */
    @Test
    void clientsWithDifferentStartupParametersShareOneConnectionEachWithItsOwn() throws Exception {
        Map<String, String> tokyo = Map.of("application_name", "tokyo", "TimeZone", "Asia/Tokyo", "DateStyle",
                "SQL, DMY", "IntervalStyle", "sql_standard", "extra_float_digits", "1");
        List<String> expected;
        try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement()) {
            expected = shows(s);
        }
        try (WireClient raw = WireClient.connect(single.port(), "trusted", null, "app", tokyo);
             Connection jdbc = ProxyFixture.connect(single); Statement s = jdbc.createStatement()) {
            assertThat(raw.loginParameters()).containsEntry("TimeZone", "Asia/Tokyo")
                    .containsEntry("DateStyle", "SQL, DMY").containsEntry("application_name", "tokyo");
            for (int i = 0; i < 10; i++) {
                List<String> own = new ArrayList<>();
                for (String name : List.of("TimeZone", "DateStyle", "IntervalStyle", "extra_float_digits",
                        "application_name")) {
                    raw.send(new Query("SHOW " + name));
                    own.add(raw.readUntilReady().stream().filter(each -> each.type() == 'D').findFirst()
                            .orElseThrow().firstValue());
                }
                assertThat(own).as("the raw client, round %d", i)
                        .containsExactly("Asia/Tokyo", "SQL, DMY", "sql_standard", "1", "tokyo");
                assertThat(shows(s)).as("pgjdbc, round %d", i).isEqualTo(expected);
            }
            assertThat(single.pools().all().stream().filter(each -> each.target().node().endsWith("/primary")))
                    .as("pools of the primary").hasSize(1);
        }
        assertThatThrownBy(() -> WireClient.connect(single.port(), "trusted", null, "app",
                Map.of("TimeZone", "Mars/Base"))).hasMessageContaining(
                        "E(22023 invalid value for parameter \"TimeZone\": \"Mars/Base\")");
        assertThatThrownBy(() -> fixture.connectDirect("options", "-c TimeZone=Mars/Base").close())
                .as("directly").isInstanceOf(SQLException.class)
                .hasMessageContaining("invalid value for parameter \"TimeZone\": \"Mars/Base\"");
        assertThat(scalar("SELECT 1")).as("the pool goes on").isOne();
    }

    /**
     * What a client is told of its settings (ParameterStatus) is its own: clients that logged in alike share what
     * they were told at login until one of them changes a setting, and the next one that changes it the same way is
     * told too, as PostgreSQL tells every session that changes a reported setting.
     */
    @Test
    void eachClientIsToldOfItsOwnSettingChanges() throws Exception {
        try (WireClient a = WireClient.connect(single.port(), "trusted", "app");
             WireClient b = WireClient.connect(single.port(), "trusted", "app")) {
            for (WireClient each : List.of(a, b)) {
                each.send(new Query("SET application_name = 'told_each'"));
                assertThat(WireClient.types(each.readUntilReady())).as("told by a ParameterStatus").isEqualTo("CSZ");
            }
            a.send(new Query("SET application_name = 'told_each'"));
            assertThat(WireClient.types(a.readUntilReady())).as("unchanged: not told again").isEqualTo("CZ");
        }
    }

    /** What pgjdbc's session shows of the parameters drivers send at startup. */
    private static List<String> shows(Statement s) throws SQLException {
        List<String> result = new ArrayList<>();
        for (String name : List.of("TimeZone", "DateStyle", "IntervalStyle", "extra_float_digits",
                "application_name", "client_encoding")) {
            try (ResultSet rs = s.executeQuery("SHOW " + name)) {
                assertThat(rs.next()).isTrue();
                result.add(rs.getString(1));
            }
        }
        return result;
    }

    /**
     * COMPAT E1: Flush is not the end of a request. A portal read three rows at a time with Execute(3) and Flush,
     * outside a transaction, lives on its server connection until Sync: another client waits for the connection
     * meanwhile instead of running a statement on it (which would destroy the portal), and gets it after the Sync.
     */
    @Test
    void aCursorReadWithFlushKeepsItsConnectionUntilSync() throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (WireClient cursor = WireClient.connect(single.port(), "trusted", "app")) {
            cursor.send(new Parse("", "SELECT id FROM cc_rows ORDER BY id", new int[0]),
                    unnamedBind(), new Execute("", 3), Flush.INSTANCE);
            List<Message> first = readN(cursor, 6);
            assertThat(WireClient.types(first)).isEqualTo("12DDDs");
            assertThat(first.subList(2, 5)).extracting(Message::firstValue).containsExactly("1", "2", "3");

            CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> scalar("SELECT 42"), other);
            Thread.sleep(500);
            assertThat(waiting).as("another client's statement while the portal is open").isNotDone();

            cursor.send(new Execute("", 3), Flush.INSTANCE);
            List<Message> second = readN(cursor, 4);
            assertThat(WireClient.types(second)).isEqualTo("DDDs");
            assertThat(second.subList(0, 3)).extracting(Message::firstValue).containsExactly("4", "5", "6");
            assertThat(waiting).isNotDone();

            cursor.send(new Execute("", 0), Sync.INSTANCE);
            List<Message> rest = cursor.readUntilReady();
            assertThat(WireClient.types(rest)).isEqualTo("DDDDCZ");
            assertThat(rest.subList(0, 4)).extracting(Message::firstValue).containsExactly("7", "8", "9", "10");
            assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(42);
        } finally {
            stop(other);
        }
    }

    /**
     * COMPAT E7: a simple Query {@code BEGIN; INSERT …} ends in transaction status T. The client keeps its server
     * connection (it sees its own row, another client waits), and its ROLLBACK takes the row away.
     */
    @Test
    void aMultiStatementQueryThatOpensATransactionKeepsItsConnection() throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (WireClient client = WireClient.connect(single.port(), "trusted", "app")) {
            client.send(new Query("BEGIN; INSERT INTO cc_tx VALUES (7)"));
            List<Message> opened = client.readUntilReady();
            assertThat(WireClient.types(opened)).isEqualTo("CCZ");
            assertThat((char) opened.get(2).body()[0]).as("transaction status").isEqualTo('T');

            CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(
                    () -> scalar("SELECT count(*)::int FROM cc_tx"), other);
            Thread.sleep(500);
            assertThat(waiting).as("another client's read while the transaction is open").isNotDone();

            client.send(new Query("SELECT count(*) FROM cc_tx"));
            List<Message> own = client.readUntilReady();
            assertThat(WireClient.types(own)).isEqualTo("TDCZ");
            assertThat(own.get(1).firstValue()).isEqualTo("1");

            client.send(new Query("ROLLBACK"));
            List<Message> rolledBack = client.readUntilReady();
            assertThat(WireClient.types(rolledBack)).isEqualTo("CZ");
            assertThat((char) rolledBack.get(1).body()[0]).isEqualTo('I');
            assertThat(waiting.get(10, TimeUnit.SECONDS)).as("rows after the ROLLBACK").isZero();
        } finally {
            stop(other);
        }
        try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM cc_tx")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }

    /**
     * COMPAT E14: the empty query in the extended protocol, as PostgreSQL answers it: Parse, Bind, Describe of the
     * portal (NoData), Execute (EmptyQueryResponse), for {@code ""} and for {@code ";"}; and a driver's {@code ";"}
     * behaves as against the server.
     */
    @Test
    void answersTheEmptyQueryInTheExtendedProtocolAsPostgresql() throws Exception {
        try (WireClient client = WireClient.connect(single.port(), "trusted", "app")) {
            for (String text : List.of("", ";", "  ")) {
                client.send(new Parse("", text, new int[0]),
                        unnamedBind(), Describe.portal(""),
                        new Execute("", 0), Sync.INSTANCE);
                List<Message> reply = client.readUntilReady();
                assertThat(WireClient.types(reply)).as("reply to '%s'", text).isEqualTo("12nIZ");
            }
            client.send(new Query(""));
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("IZ");
            client.send(new Query("SELECT 5"));
            List<Message> after = client.readUntilReady();
            assertThat(WireClient.types(after)).isEqualTo("TDCZ");
            assertThat(after.get(1).firstValue()).isEqualTo("5");
        }
        try (Connection direct = fixture.connectDirect(); Connection proxied = ProxyFixture.connect(single)) {
            assertThat(emptyPrepared(proxied)).isEqualTo(emptyPrepared(direct));
        }
    }

    private static List<Object> emptyPrepared(Connection connection) throws SQLException {
        List<Object> result = new ArrayList<>();
        for (String text : List.of(";", "")) {
            try (PreparedStatement s = connection.prepareStatement(text)) {
                result.add(s.execute());
                result.add(s.getUpdateCount());
            }
        }
        return result;
    }

    /** COMPAT E13: PostgreSQL answers a Close of a statement or portal that does not exist with CloseComplete. */
    @Test
    void closingNamesNeverPreparedIsNotAnError() throws Exception {
        try (WireClient client = WireClient.connect(single.port(), "trusted", "app")) {
            client.send(Close.statement("never_prepared"), Close.portal("never_bound"), Close.statement(""),
                    Sync.INSTANCE);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("333Z");
            client.send(new Query("SELECT 1"));
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("TDCZ");
        }
    }

    /**
     * COMPAT E4: pgjdbc sends a batch as one pipeline with one Sync; the third row's duplicate key fails it. The
     * driver must see what it sees against the server (the same update counts in its BatchUpdateException, 23505),
     * no row may stay (the batch was one implicit transaction), and the connection goes on.
     */
    @Test
    void aBatchWhoseThirdRowFailsEndsAsAgainstTheServer() throws Exception {
        List<Object> direct;
        List<Object> proxied;
        try (Connection c = fixture.connectDirect()) {
            direct = failingBatch(c, "cc_batch_direct");
        }
        try (Connection c = ProxyFixture.connect(single)) {
            proxied = failingBatch(c, "cc_batch_proxy");
            assertThat(scalar(c, "SELECT 6")).isEqualTo(6);
        }
        assertThat(direct.get(1)).isEqualTo("23505");
        assertThat(proxied).isEqualTo(direct);
    }

    private static List<Object> failingBatch(Connection connection, String table) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table + " (id) VALUES (?)")) {
            for (int id : new int[] {1, 2, 2, 3, 4}) {
                insert.setInt(1, id);
                insert.addBatch();
            }
            BatchUpdateException failed = catchThrowableOfType(insert::executeBatch, BatchUpdateException.class);
            assertThat((Throwable) failed).isNotNull();
            SQLException cause = failed.getNextException();
            int rows = scalar(connection, "SELECT count(*)::int FROM " + table);
            return List.of(Arrays.toString(failed.getUpdateCounts()), cause == null ? "none" : cause.getSQLState(),
                    rows);
        }
    }

    /**
     * COMPAT V7: a server connection keeps at most 512 of pgroute's prepared statements and closes the least recently
     * used. A client with 600 server-prepared statements on the one connection still gets the right answer from each,
     * also from the first ones again (closed on the server meanwhile, so prepared anew: never 26000), and the server
     * never holds more than the cap.
     */
    @Test
    void statementsEvictedFromTheServerConnectionArePreparedAgain() throws Exception {
        try (Connection c = ProxyFixture.connect(single, "prepareThreshold", "1",
                "preparedStatementCacheQueries", "1000", "preparedStatementCacheSizeMiB", "50")) {
            List<PreparedStatement> statements = new ArrayList<>();
            try {
                for (int i = 0; i < 600; i++) {
                    PreparedStatement each = c.prepareStatement("SELECT ?::int + " + i + " AS v /* cc" + i + " */");
                    statements.add(each);
                    for (int run = 0; run < 2; run++) {
                        assertThat(run(each, 1_000)).isEqualTo(1_000 + i);
                    }
                }
                assertThat(scalar(c, "SELECT count(*)::int FROM pg_prepared_statements"))
                        .as("statements prepared on the server connection").isBetween(1, 512);
                for (int i = 0; i < 20; i++) {
                    assertThat(run(statements.get(i), 5)).isEqualTo(5 + i);
                }
                assertThat(run(statements.get(599), 7)).isEqualTo(7 + 599);
                assertThat(scalar(c, "SELECT count(*)::int FROM pg_prepared_statements")).isBetween(1, 512);
            } finally {
                for (PreparedStatement each : statements) {
                    each.close();
                }
            }
        }
    }

    private static int run(PreparedStatement statement, int value) throws SQLException {
        statement.setInt(1, value);
        try (ResultSet rs = statement.executeQuery()) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }

    /**
     * COMPAT T5: the server ends a session idle in a transaction past its {@code idle_in_transaction_session_timeout}
     * with FATAL 25P03. The client in that transaction learns it with the server's SQLSTATE, as it would directly;
     * every other client goes on, on a new server connection.
     */
    @Test
    void theServersIdleInTransactionTimeoutReachesItsClientOnly() throws Exception {
        String direct;
        try (Connection c = fixture.connectDirect()) {
            direct = idleTooLong(c);
        }
        String proxied;
        try (Connection c = ProxyFixture.connect(single)) {
            proxied = idleTooLong(c);
        }
        assertThat(direct).isEqualTo("25P03");
        assertThat(proxied).isEqualTo(direct);
        try (Connection other = ProxyFixture.connect(single)) {
            assertThat(scalar(other, "SELECT 11")).isEqualTo(11);
            other.setAutoCommit(false);
            assertThat(scalar(other, "SELECT 12")).isEqualTo(12);
            other.commit();
        }
    }

    /** Opens a transaction with a 300 ms idle timeout, idles 1.5 s, and returns the SQLSTATE of the next statement. */
    private static String idleTooLong(Connection connection) throws Exception {
        try (Statement s = connection.createStatement()) {
            s.execute("SET idle_in_transaction_session_timeout = 300");
        }
        connection.setAutoCommit(false);
        assertThat(scalar(connection, "SELECT 1")).isEqualTo(1);
        Thread.sleep(1_500);
        SQLException failed = catchThrowableOfType(() -> scalar(connection, "SELECT 2"), SQLException.class);
        assertThat((Throwable) failed).as("a statement after the timeout").isNotNull();
        return failed.getSQLState();
    }

    /**
     * COMPAT E6: BEGIN, a write, a read and COMMIT sent in one write (a pipelining client) run as one transaction on
     * one connection: each ReadyForQuery says where the transaction is, the read sees the write, the row stays.
     */
    @Test
    void aTransactionSentInOneWriteRunsOnOneConnection() throws Exception {
        try (WireClient client = WireClient.connect(single.port(), "trusted", "app")) {
            client.send(new Query("BEGIN"), new Query("INSERT INTO cc_tx VALUES (8)"),
                    new Query("SELECT count(*) FROM cc_tx WHERE id = 8"), new Query("COMMIT"));
            StringBuilder statuses = new StringBuilder();
            List<Message> all = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                List<Message> reply = client.readUntilReady();
                all.addAll(reply);
                statuses.append((char) reply.get(reply.size() - 1).body()[0]);
            }
            assertThat(WireClient.types(all)).isEqualTo("CZCZTDCZCZ");
            assertThat(statuses.toString()).isEqualTo("TTTI");
            assertThat(all.get(5).firstValue()).isEqualTo("1");
        }
        try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM cc_tx WHERE id = 8")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }

    /**
     * COMPAT G4: what one client SET is gone for the next client on the same server connection: a leftover
     * {@code default_transaction_read_only} would refuse its writes with 25006, a leftover {@code lock_timeout} or
     * {@code statement_timeout} would cancel its statements.
     */
    @Test
    void whatOneClientSetIsGoneForTheNext() throws Exception {
        try (Connection first = ProxyFixture.connect(single); Statement s = first.createStatement()) {
            s.execute("SET default_transaction_read_only = on");
            s.execute("SET lock_timeout = '1ms'");
            s.execute("SET statement_timeout = '20ms'");
            assertThat(scalar(first, "SELECT 1")).isEqualTo(1);
            SQLException refused = catchThrowableOfType(() -> s.execute("INSERT INTO cc_tx VALUES (9)"),
                    SQLException.class);
            assertThat(refused.getSQLState()).isEqualTo("25006");
        }
        try (Connection next = ProxyFixture.connect(single); Statement s = next.createStatement()) {
            s.execute("INSERT INTO cc_tx VALUES (9)");
            assertThat(text(next, "SHOW default_transaction_read_only")).isEqualTo("off");
            assertThat(text(next, "SHOW lock_timeout")).isEqualTo("0");
            assertThat(text(next, "SHOW statement_timeout")).isEqualTo("0");
            assertThat(scalar(next, "SELECT 1 FROM pg_sleep(0.1)")).isEqualTo(1);
        }
    }

    /**
     * COMPAT P3: pgjdbc's {@code targetServerType=primary} asks {@code SHOW transaction_read_only} after connecting;
     * answered by a replica ("on") it would refuse pgroute. pgroute with replicas answers it from the primary.
     */
    @Test
    void aDriverThatAsksForThePrimaryAcceptsPgroute() throws Exception {
        try (Connection c = ProxyFixture.connect(fixture.server(), "targetServerType", "primary")) {
            assertThat(text(c, "SHOW transaction_read_only")).isEqualTo("off");
            assertThat(text(c, "SHOW default_transaction_read_only")).isEqualTo("off");
        }
    }

    /**
     * COMPAT S5: a startup parameter the server does not know fails the login as on the server: FATAL 42704, not a
     * login that succeeds and fails later.
     */
    @Test
    void anUnknownStartupParameterFailsTheLoginAsOnTheServer() throws Exception {
        String[] unknown = {"options", "-c no_such_setting_here=1"};
        SQLException direct = catchThrowableOfType(() -> fixture.connectDirect(unknown).close(), SQLException.class);
        SQLException proxied = catchThrowableOfType(() -> ProxyFixture.connect(single, unknown).close(),
                SQLException.class);
        assertThat(direct.getSQLState()).isEqualTo("42704");
        assertThat(proxied.getSQLState()).isEqualTo(direct.getSQLState());
        assertThat(scalar("SELECT 3")).as("the next client").isEqualTo(3);
    }

    /**
     * COMPAT E5: units pipelined in one write (extended reads and writes, simple Queries) are answered in the order
     * they were sent, though reads may go to replicas and writes to the primary, and each read sees the writes sent
     * before it (read-your-writes inside one pipeline).
     */
    @Test
    void pipelinedReadsAndWritesAreAnsweredInOrderAndSeeEachOther() throws Exception {
        try (WireClient client = WireClient.connect(spread.port(), "trusted", "app")) {
            for (int k = 1; k <= 20; k++) {
                client.send(flat(extended("SELECT count(*) FROM cc_pipe WHERE k = " + k),
                        extended("INSERT INTO cc_pipe VALUES (" + k + ", 1)"),
                        extended("SELECT count(*) FROM cc_pipe WHERE k = " + k),
                        new Query("INSERT INTO cc_pipe VALUES (" + k + ", 2)"),
                        new Query("SELECT count(*) FROM cc_pipe WHERE k = " + k)));
                List<List<Message>> replies = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    replies.add(client.readUntilReady());
                }
                assertThat(replies).extracting(WireClient::types).as("round %d", k)
                        .containsExactly("12DCZ", "12CZ", "12DCZ", "CZ", "TDCZ");
                assertThat(List.of(replies.get(0).get(2).firstValue(), replies.get(2).get(2).firstValue(),
                        replies.get(4).get(1).firstValue())).as("counts seen in round %d", k)
                        .containsExactly("0", "1", "2");
            }
        }
    }

    /**
     * COMPAT E8: the messages between two Syncs are one implicit transaction. A write, a read of what it wrote, a read
     * of another table and a failing statement in one unit: the read sees the write, and the failure takes the write
     * back, as on the server; through a pgroute with replicas and through one with the result cache, where the read of
     * the written table (a cache hit before the unit) must not be answered from the cache, and nothing the unit read
     * may be stored for later reads.
     */
    @Test
    void aUnitThatFailsAfterAWriteTakesTheWriteBack() throws Exception {
        String cache = "  enabled: true\n  redis: " + fixture.cluster().redis().orElseThrow().uri() + "\n";
        try (PgrouteServer cached = ProxyFixture.server("corner-cases-cache.yaml", Map.of("cache", cache))) {
            for (PgrouteServer server : List.of(spread, cached)) {
                String label = server == spread ? "with replicas" : "with the cache";
                try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement()) {
                    s.execute("TRUNCATE cc_unit");
                    s.execute("INSERT INTO cc_unit VALUES (1)");
                }
                fixture.cluster().awaitReplication(Duration.ofSeconds(10));
                try (WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
                    // through the cache: read until the answer comes from it (the catalog is read in the background)
                    Awaitility.await(label + ": a read before").atMost(Duration.ofSeconds(30))
                            .pollInterval(Duration.ofMillis(100)).until(() -> {
                                long hits = hits(server);
                                client.send(extended("SELECT count(*) FROM cc_unit"));
                                assertThat(client.readUntilReady().get(2).firstValue()).isEqualTo("1");
                                return server == spread || hits(server) > hits;
                            });
                    client.send(flat(step("INSERT INTO cc_unit VALUES (2)"), step("SELECT count(*) FROM cc_unit"),
                            step("SELECT count(*) FROM cc_rows"), step("SELECT id / 0 FROM cc_unit"),
                            Sync.INSTANCE));
                    List<Message> unit = client.readUntilReady();
                    assertThat(WireClient.types(unit)).as(label).isEqualTo("12C12DC12DC12EZ");
                    assertThat(unit.get(5).firstValue()).as("%s: the unit's read of its own write", label)
                            .isEqualTo("2");
                    assertThat(unit.get(9).firstValue()).as(label).isEqualTo("10");
                    assertThat(new String(unit.get(13).body(), StandardCharsets.UTF_8)).as(label).contains("22012");
                    for (int i = 0; i < 3; i++) {
                        client.send(extended("SELECT count(*) FROM cc_unit"));
                        assertThat(client.readUntilReady().get(2).firstValue())
                                .as("%s: after the unit failed, read %d", label, i).isEqualTo("1");
                    }
                    client.send(flat(step("INSERT INTO cc_unit VALUES (3)"), step("SELECT count(*) FROM cc_unit"),
                            Sync.INSTANCE));
                    List<Message> committed = client.readUntilReady();
                    assertThat(WireClient.types(committed)).as(label).isEqualTo("12C12DCZ");
                    assertThat(committed.get(5).firstValue()).as(label).isEqualTo("2");
                    client.send(extended("SELECT count(*) FROM cc_unit"));
                    assertThat(client.readUntilReady().get(2).firstValue()).as("%s: after the unit committed", label)
                            .isEqualTo("2");
                }
                try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement();
                     ResultSet rs = s.executeQuery("SELECT string_agg(id::text, ',' ORDER BY id) FROM cc_unit")) {
                    rs.next();
                    assertThat(rs.getString(1)).as("%s: rows on the primary", label).isEqualTo("1,3");
                }
            }
        }
    }

    /**
     * A write prepared in one unit and run in the next (asyncpg, psycopg and pgx prepare first; lib/pq parses the
     * unnamed statement, syncs, then binds it): its invalidation is begun when it runs, so a cached read of the table
     * after it (by another client: {@code consistency: global}) never shows the table as it was before, for a named
     * statement and for the unnamed one.
     */
    @Test
    void aWritePreparedInOneUnitAndRunInTheNextInvalidatesTheCache() throws Exception {
        String cache = "  enabled: true\n  redis: " + fixture.cluster().redis().orElseThrow().uri() + "\n";
        try (PgrouteServer cached = ProxyFixture.server("corner-cases-split.yaml", Map.of("cache", cache,
                "routing", "  consistency: global"));
             WireClient writer = WireClient.connect(cached.port(), "trusted", "app");
             WireClient reader = WireClient.connect(cached.port(), "trusted", "app")) {
            Awaitility.await("a read answered from the cache").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100)).until(() -> {
                        long hits = hits(cached);
                        assertThat(count(reader)).isZero();
                        return hits(cached) > hits;
                    });
            int expected = 0;
            for (String name : List.of("split_insert", "")) {
                writer.send(new Parse(name, "INSERT INTO cc_split VALUES (1)", new int[0]),
                        Describe.statement(name), Sync.INSTANCE);
                assertThat(WireClient.types(writer.readUntilReady())).isEqualTo("1tnZ");
                assertThat(count(reader)).as("statement '%s' prepared: it wrote nothing", name).isEqualTo(expected);
                writer.send(new Bind("", name, new short[0], new byte[0][], new short[0]), new Execute("", 0),
                        Sync.INSTANCE);
                assertThat(WireClient.types(writer.readUntilReady())).isEqualTo("2CZ");
                expected++;
                for (int i = 0; i < 3; i++) {
                    assertThat(count(reader)).as("statement '%s', read %d after it ran", name, i).isEqualTo(expected);
                }
            }
        }
    }

    /** {@code SELECT count(*) FROM cc_split} through {@code client}, a candidate for the cache. */
    private static int count(WireClient client) throws Exception {
        client.send(extended("SELECT count(*) FROM cc_split"));
        return Integer.parseInt(client.readUntilReady().get(2).firstValue());
    }

    /**
     * COMPAT E2: a Flush pushes out everything pending at once. A portal over a million rows read 100 at a time with
     * Execute(100) and Flush gets each hundred and its PortalSuspended without a Sync, through a pgroute with replicas
     * (the read goes to one) and through one with the result cache (a read that may be stored is still relayed as it
     * comes); the Sync then ends the unit.
     */
    @Test
    void aFlushPushesOutEachHundredRowsOfAMillionRowPortal() throws Exception {
        String cache = "  enabled: true\n  redis: " + fixture.cluster().redis().orElseThrow().uri() + "\n";
        try (PgrouteServer cached = ProxyFixture.server("corner-cases-flush.yaml", Map.of("cache", cache))) {
            for (PgrouteServer server : List.of(spread, cached)) {
                try (WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
                    client.send(new Parse("", "SELECT g FROM generate_series(1, 1000000) g", new int[0]),
                            unnamedBind(), new Execute("", 100), Flush.INSTANCE);
                    List<Message> first = readN(client, 103);
                    assertThat(WireClient.types(first)).isEqualTo("12" + "D".repeat(100) + "s");
                    for (int round = 1; round <= 3; round++) {
                        client.send(new Execute("", 100), Flush.INSTANCE);
                        List<Message> more = readN(client, 101);
                        assertThat(WireClient.types(more)).as("round %d", round).isEqualTo("D".repeat(100) + "s");
                        assertThat(more.get(0).firstValue()).isEqualTo(Integer.toString(round * 100 + 1));
                    }
                    client.send(Sync.INSTANCE);
                    assertThat(WireClient.types(client.readUntilReady())).isEqualTo("Z");
                    client.send(new Query("SELECT 7"));
                    assertThat(WireClient.types(client.readUntilReady())).isEqualTo("TDCZ");
                }
            }
        }
    }

    private static long hits(PgrouteServer server) {
        return server.resultCache().map(cache -> cache.redis().stats().hits()).orElse(0L);
    }

    /**
     * COMPAT E9: the unnamed statement lives across Syncs. As lib/pq and pgx's {@code describe_exec} mode do, each
     * client parses (and describes) its unnamed statement and syncs, then binds and executes it in a second unit:
     * 16 clients at once on two server connections per server (the reads spread over the replicas), so the second
     * unit often runs on another connection, or another server, than the first. Every answer must be the client's
     * own, never 26000 or another client's statement.
     */
    @Test
    void theUnnamedStatementOutlivesItsSyncOnAnotherConnection() throws Exception {
        int clients = 16;
        int rounds = 100;
        ExecutorService threads = Executors.newFixedThreadPool(clients);
        try (PgrouteServer two = ProxyFixture.server("corner-cases-unnamed.yaml", Map.of("pool", "  size: 2"))) {
            List<CompletableFuture<List<String>>> results = new ArrayList<>();
            for (int n = 0; n < clients; n++) {
                int client = n;
                results.add(CompletableFuture.supplyAsync(() -> unnamedAcrossSyncs(two, client, rounds), threads));
            }
            for (int n = 0; n < clients; n++) {
                assertThat(results.get(n).get(60, TimeUnit.SECONDS)).as("client %d: what went wrong", n).isEmpty();
            }
            assertThat(two.pools().all()).as("server connections per server (two, and the reserve that runs requests"
                    + " that only prepare)").allMatch(each -> each.open() <= 3);
        } finally {
            stop(threads);
        }
    }

    /** The rounds of one client of {@link #theUnnamedStatementOutlivesItsSyncOnAnotherConnection}: its failures. */
    private static List<String> unnamedAcrossSyncs(PgrouteServer server, int client, int rounds) {
        List<String> failures = new ArrayList<>();
        try (WireClient wire = WireClient.connect(server.port(), "trusted", "app")) {
            for (int round = 0; round < rounds && failures.size() < 5; round++) {
                String sql = "SELECT $1::int + " + client + " AS v";
                wire.send(new Parse("", sql, new int[0]), Describe.statement(""), Sync.INSTANCE);
                String described = WireClient.types(wire.readUntilReady());
                if (!described.equals("1tTZ")) {
                    failures.add("round " + round + " parse: " + described);
                    continue;
                }
                byte[] value = Integer.toString(round * 100).getBytes(StandardCharsets.UTF_8);
                wire.send(new Bind("", "", new short[0], new byte[][] {value}, new short[0]), new Execute("", 0),
                        Sync.INSTANCE);
                List<Message> answer = wire.readUntilReady();
                if (!WireClient.types(answer).equals("2DCZ")
                        || !answer.get(1).firstValue().equals(Integer.toString(round * 100 + client))) {
                    failures.add("round " + round + " execute: " + WireClient.types(answer) + " "
                            + answer.stream().map(Message::toString).toList());
                }
            }
        } catch (Exception e) {
            failures.add(e.toString());
        }
        return failures;
    }

    /**
     * COMPAT C4: CopyDone, CopyFail and CopyData outside COPY are ignored without an answer, as PostgreSQL ignores them
     * (a driver sends them after a COPY that failed early). On the one shared server connection: neither this client
     * nor the next gets an answer that is not its own, and a COPY FROM STDIN run a hundred times back to back after
     * them each ends with its own CommandComplete.
     */
    @Test
    void copyMessagesOutsideCopyAreIgnoredAsByTheServer() throws Exception {
        try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS cc_copy (v int)");
            s.execute("TRUNCATE cc_copy");
        }
        try (WireClient client = WireClient.connect(single.port(), "trusted", "app")) {
            client.send(CopyDone.INSTANCE,
                    new CopyFail("nothing to fail"),
                    new CopyData("7\n".getBytes(StandardCharsets.US_ASCII)),
                    new Query("SELECT 1"));
            List<Message> first = client.readUntilReady();
            assertThat(WireClient.types(first)).isEqualTo("TDCZ");
            assertThat(first.get(1).firstValue()).isEqualTo("1");
            for (int i = 0; i < 100; i++) {
                client.send(new Query("COPY cc_copy FROM STDIN"));
                assertThat(WireClient.types(List.of(client.read(10_000)))).as("copy %d", i).isEqualTo("G");
                client.send(new CopyData((i + "\n").getBytes(StandardCharsets.US_ASCII)),
                        CopyDone.INSTANCE);
                List<Message> done = client.readUntilReady();
                assertThat(WireClient.types(done)).as("copy %d", i).isEqualTo("CZ");
                assertThat(new String(done.get(0).body(), StandardCharsets.US_ASCII)).startsWith("COPY 1");
                client.send(CopyDone.INSTANCE);  // a stray one after each
            }
        }
        assertThat(scalar("SELECT count(*)::int FROM cc_copy")).as("the next client, on the same connection")
                .isEqualTo(100);
    }

    /** Parse, Bind and Execute of {@code sql}, without a Sync. */
    private static Object[] step(String sql) {
        return new Object[] {new Parse("", sql, new int[0]), unnamedBind(), new Execute("", 0)};
    }

    /** The messages of {@code parts}, an array's elements in its place. */
    private static Object[] flat(Object... parts) {
        List<Object> result = new ArrayList<>();
        for (Object each : parts) {
            if (each instanceof Object[] many) {
                result.addAll(Arrays.asList(many));
            } else {
                result.add(each);
            }
        }
        return result.toArray();
    }

    private static Object[] extended(String sql) {
        return new Object[] {new Parse("", sql, new int[0]),
                unnamedBind(), new Execute("", 0), Sync.INSTANCE};
    }

    /**
     * COMPAT X1: a cancel must never reach another client's query. Client A runs short statements while a thread
     * cancels A's statement over and over; client B shares A's one server connection and runs statements of its own
     * meanwhile: none of B's may be cancelled (57014), wherever A's cancels land.
     */
    @Test
    void cancelsOfOneClientNeverStopAnotherClientsStatements() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try (Connection a = ProxyFixture.connect(single); Connection b = ProxyFixture.connect(single);
             Statement aStatement = a.createStatement(); Statement bStatement = b.createStatement()) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            CompletableFuture<Integer> canceller = CompletableFuture.supplyAsync(() -> {
                int sent = 0;
                while (System.nanoTime() < until) {
                    try {
                        aStatement.cancel();
                        sent++;
                        Thread.sleep(0, 300_000);
                    } catch (SQLException | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
                return sent;
            }, threads);
            CompletableFuture<Integer> aRuns = CompletableFuture.supplyAsync(() -> {
                int cancelled = 0;
                while (System.nanoTime() < until) {
                    try {
                        aStatement.execute("SELECT pg_sleep(0.001)");
                    } catch (SQLException e) {
                        assertThat(e.getSQLState()).as("A's own error").isEqualTo("57014");
                        cancelled++;
                    }
                }
                return cancelled;
            }, threads);
            CompletableFuture<List<String>> bRuns = CompletableFuture.supplyAsync(() -> {
                List<String> errors = new ArrayList<>();
                int runs = 0;
                while (System.nanoTime() < until) {
                    try {
                        bStatement.execute("SELECT pg_sleep(0.002)");
                        runs++;
                    } catch (SQLException e) {
                        errors.add(e.getSQLState() + " " + e.getMessage());
                    }
                }
                assertThat(runs).as("B's statements").isPositive();
                return errors;
            }, threads);
            assertThat(canceller.get(20, TimeUnit.SECONDS)).isPositive();
            assertThat(aRuns.get(20, TimeUnit.SECONDS)).as("A's statements cancelled").isPositive();
            assertThat(bRuns.get(20, TimeUnit.SECONDS)).as("B's errors").isEmpty();
            assertThat(scalar(b, "SELECT 4")).isEqualTo(4);
        } finally {
            stop(threads);
        }
    }

    /**
     * COMPAT G13: a SET prepared once and run again by Bind alone (postgres.js with {@code prepare: true}) changes the
     * session each time it runs, and pgroute replays it where the client's next statement runs: here on the other
     * of two connections, the first being held by another client's transaction.
     */
    @Test
    void aSetRunAgainByBindAloneFollowsTheClient() throws Exception {
        try (WireClient client = WireClient.connect(pair.port(), "trusted", "app");
             WireClient holder = WireClient.connect(pair.port(), "trusted", "app")) {
            client.send(new Parse("set_zone", "SET TimeZone = 'Asia/Tokyo'", new int[0]),
                    new Bind("", "set_zone", new short[0], new byte[0][], new short[0]), new Execute("", 0),
                    Sync.INSTANCE);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("12CSZ");  // S: the new TimeZone
            client.send(new Query("RESET TimeZone"));
            client.readUntilReady();
            assertThat(showOf(client, "TimeZone")).isNotEqualTo("Asia/Tokyo");
            client.send(new Bind("", "set_zone", new short[0], new byte[0][], new short[0]), new Execute("", 0),
                    Sync.INSTANCE);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("2CSZ");
            int last = Integer.parseInt(showOf(client, "pg_backend_pid()", "SELECT pg_backend_pid()"));

            holder.send(new Query("BEGIN"), new Query("SELECT pg_backend_pid()"));
            holder.readUntilReady();
            List<Message> held = holder.readUntilReady();
            assertThat(WireClient.types(held)).isEqualTo("TDCZ");
            int heldPid = Integer.parseInt(held.get(1).firstValue());
            assertThat(heldPid).as("the other client took the connection this one used last").isEqualTo(last);
            assertThat(showOf(client, "TimeZone")).isEqualTo("Asia/Tokyo");
            assertThat(Integer.parseInt(showOf(client, "pg_backend_pid()", "SELECT pg_backend_pid()")))
                    .as("the client's connection now").isNotEqualTo(last);
            holder.send(new Query("COMMIT"));
            holder.readUntilReady();
        }
    }

    /**
     * COMPAT A2: a pooled server connection that the server ends while no client holds it (an administrator's
     * {@code pg_terminate_backend}, a restart of the connection limit) is dropped from the pool: the clients connected
     * to pgroute, idle meanwhile, go on without an error, reads and writes alike.
     */
    @Test
    void aPooledConnectionTheServerEndsWhileIdleIsReplacedUnseen() throws Exception {
        try (Connection client = ProxyFixture.connect(single); Connection direct = fixture.connectDirect()) {
            int pooled = scalar(client, "SELECT pg_backend_pid()");
            try (Statement s = direct.createStatement()) {
                s.execute("SELECT pg_terminate_backend(" + pooled + ")");
            }
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                    scalar(direct, "SELECT count(*)::int FROM pg_stat_activity WHERE pid = " + pooled) == 0);
            Thread.sleep(200);  // pgroute reads the server's FATAL and the close on the idle connection
            assertThat(scalar(client, "SELECT pg_backend_pid()")).isNotEqualTo(pooled);
            try (Statement s = client.createStatement()) {
                assertThat(s.executeUpdate("INSERT INTO cc_tx VALUES (10)")).isEqualTo(1);
            }
        }
    }

    /**
     * COMPAT E16: a pipeline of three units, each with its Sync (psycopg 3's pipeline mode), whose middle one fails:
     * PostgreSQL skips only to that unit's Sync, so the first unit's write stays and the third unit runs. Inside a
     * transaction the third is refused with 25P02 instead, and the ROLLBACK takes the first unit's write away.
     */
    @Test
    void aFailedUnitInAPipelineSkipsOnlyToItsSync() throws Exception {
        try (WireClient client = WireClient.connect(spread.port(), "trusted", "app")) {
            client.send(flat(extended("INSERT INTO cc_pipe VALUES (100, 1)"), extended("SELECT 1 / (random() * 0)::int"),
                    extended("SELECT count(*) FROM cc_pipe WHERE k = 100")));
            List<List<Message>> replies = List.of(client.readUntilReady(), client.readUntilReady(),
                    client.readUntilReady());
            assertThat(replies).extracting(WireClient::types).containsExactly("12CZ", "12EZ", "12DCZ");
            assertThat(replies.get(1).get(2).sqlState()).isEqualTo("22012");
            assertThat(replies.get(2).get(2).firstValue()).isEqualTo("1");

            client.send(flat(new Query("BEGIN"), extended("INSERT INTO cc_pipe VALUES (101, 1)"),
                    extended("SELECT 1 / (random() * 0)::int"), extended("SELECT count(*) FROM cc_pipe WHERE k = 101"),
                    new Query("ROLLBACK")));
            List<List<Message>> inTransaction = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                inTransaction.add(client.readUntilReady());
            }
            assertThat(inTransaction).extracting(WireClient::types)
                    .containsExactly("CZ", "12CZ", "12EZ", "EZ", "CZ");
            assertThat(inTransaction.get(3).get(0).sqlState()).isEqualTo("25P02");
            assertThat(inTransaction).extracting(each -> (char) each.get(each.size() - 1).body()[0])
                    .containsExactly('T', 'T', 'E', 'E', 'I');
            client.send(new Query("SELECT count(*) FROM cc_pipe WHERE k = 101"));
            assertThat(client.readUntilReady().get(1).firstValue()).isEqualTo("0");
        }
    }

    /**
     * COMPAT L2: a Bind with PostgreSQL's maximum of 65 535 parameters (bulk inserts built by ORMs) reaches the
     * server whole and is answered, through pgroute's statement analysis and with pgjdbc server-preparing it or not.
     */
    @Test
    void aStatementWithTheMostParametersPostgresqlTakesRuns() throws Exception {
        int count = 65_535;
        StringBuilder sql = new StringBuilder("SELECT count(*), sum(v) FROM (VALUES ");
        for (int i = 0; i < count; i++) {
            sql.append(i == 0 ? "" : ",").append("(?::int)");
        }
        sql.append(") AS t(v)");
        for (String threshold : List.of("0", "1")) {
            try (Connection c = ProxyFixture.connect(spread, "prepareThreshold", threshold);
                 PreparedStatement s = c.prepareStatement(sql.toString())) {
                for (int run = 0; run < 2; run++) {
                    for (int i = 0; i < count; i++) {
                        s.setInt(i + 1, i % 3);
                    }
                    try (ResultSet rs = s.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getLong(1)).as("rows, prepareThreshold=%s", threshold).isEqualTo(count);
                        assertThat(rs.getLong(2)).isEqualTo(65_535L);  // 21 845 each of 0, 1 and 2
                    }
                }
                assertThat(scalar(c, "SELECT 8")).isEqualTo(8);
            }
        }
    }

    /**
     * COMPAT T9: a temporary table created {@code ON COMMIT DROP} inside a transaction ends with it, so it does not pin
     * its client: after the COMMIT another client gets the one server connection at once, and the table is gone. A
     * temporary table that outlives its transaction does pin: the other client waits.
     */
    @Test
    void aTempTableDroppedAtCommitDoesNotPinItsClient() throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (Connection etl = ProxyFixture.connect(single); Statement s = etl.createStatement()) {
            etl.setAutoCommit(false);
            s.execute("CREATE TEMP TABLE cc_staging (id int) ON COMMIT DROP");
            s.execute("INSERT INTO cc_staging SELECT generate_series(1, 5)");
            assertThat(scalar(etl, "SELECT count(*)::int FROM cc_staging")).isEqualTo(5);
            etl.commit();
            etl.setAutoCommit(true);
            assertThat(other.submit(() -> scalar("SELECT 21")).get(3, TimeUnit.SECONDS))
                    .as("another client while the first stays connected").isEqualTo(21);
            assertThat(scalar(etl, "SELECT count(*)::int FROM pg_class WHERE relname = 'cc_staging'")).isZero();

            s.execute("CREATE TEMP TABLE cc_kept (id int)");
            java.util.concurrent.Future<Integer> waiting = other.submit(() -> scalar("SELECT 22"));
            Thread.sleep(500);
            assertThat(waiting.isDone()).as("another client while the first holds a temp table").isFalse();
            etl.close();
            assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(22);
        } finally {
            stop(other);
        }
    }

    /**
     * COMPAT P6: pgjdbc closes its connection when a ParameterStatus says DateStyle does not start with ISO. Another
     * client of the one server connection sets {@code DateStyle = 'SQL, DMY'} and uses it between each of pgjdbc's
     * statements, so that the setting is replayed and reset over and over on that connection: pgjdbc never sees a
     * DateStyle but its own, and the other client always gets its dates in its own style.
     */
    @Test
    void anotherClientsDateStyleNeverReachesPgjdbc() throws Exception {
        try (WireClient sql = WireClient.connect(single.port(), "trusted", "app");
             Connection jdbc = ProxyFixture.connect(single)) {
            sql.send(new Query("SET DateStyle = 'SQL, DMY'"));
            assertThat(WireClient.types(sql.readUntilReady())).isEqualTo("CSZ");
            for (int i = 0; i < 30; i++) {
                assertThat(text(jdbc, "SELECT DATE '2026-12-04'::text")).isEqualTo("2026-12-04");
                sql.send(new Query("SELECT DATE '2026-12-04'::text"));
                List<Message> reply = sql.readUntilReady();
                assertThat(reply).extracting(Message::type).contains('D');
                assertThat(reply.stream().filter(each -> each.type() == 'D').findFirst().orElseThrow().firstValue())
                        .isEqualTo("04/12/2026");
            }
            assertThat(jdbc.unwrap(org.postgresql.PGConnection.class).getParameterStatus("DateStyle"))
                    .startsWith("ISO");
            assertThat(jdbc.isValid(5)).isTrue();
        }
    }

    /**
     * COMPAT V2: a statement is its text and its parameter types. pgjdbc prepares one SQL text once per set of types
     * it binds (a String, an int, a long, a BigDecimal); each must run as prepared with its own types,
     * also after moving between server connections: the same answers as directly, every time.
     */
    @Test
    void oneTextBoundWithDifferentTypesRunsAsPreparedForEach() throws Exception {
        List<String> direct;
        try (Connection c = fixture.connectDirect("prepareThreshold", "1")) {
            direct = typesSeen(c, c);
        }
        List<String> proxied;
        try (Connection c = ProxyFixture.connect(pair, "prepareThreshold", "1");
             Connection other = ProxyFixture.connect(pair, "prepareThreshold", "1")) {
            proxied = typesSeen(c, other);
        }
        assertThat(direct).contains("integer|7", "bigint|7000000000", "numeric|1.50",
                "character varying|x");
        assertThat(proxied).isEqualTo(direct);
    }

    /** Binds one text with four types in turn, 10 times, with {@code other} running the same meanwhile. */
    private static List<String> typesSeen(Connection connection, Connection other) throws SQLException {
        List<String> result = new ArrayList<>();
        String sql = "SELECT pg_typeof(?)::text || '|' || ?::text";
        try (PreparedStatement s = connection.prepareStatement(sql); PreparedStatement o = other.prepareStatement(sql)) {
            for (int round = 0; round < 10; round++) {
                for (int kind = 0; kind < 4; kind++) {
                    for (PreparedStatement each : List.of(s, o)) {
                        switch (kind) {
                            case 0 -> { each.setString(1, "x"); each.setString(2, "x"); }
                            case 1 -> { each.setInt(1, 7); each.setInt(2, 7); }
                            case 2 -> { each.setLong(1, 7_000_000_000L); each.setLong(2, 7_000_000_000L); }
                            default -> {
                                each.setBigDecimal(1, new java.math.BigDecimal("1.50"));
                                each.setBigDecimal(2, new java.math.BigDecimal("1.50"));
                            }
                        }
                        try (ResultSet rs = each.executeQuery()) {
                            assertThat(rs.next()).isTrue();
                            if (each == s) {
                                result.add(rs.getString(1));
                            }
                        }
                    }
                }
            }
        }
        return result;
    }

    /**
     * COMPAT E12 and pgroute's own prepared reads: a client that never prepares (pgjdbc {@code prepareThreshold=0},
     * and the simple protocol) can never get PostgreSQL's 0A000 "cached plan must not change result type" directly.
     * pgroute runs such repeated reads as statements it prepared itself, on replicas and the primary, so while another
     * client adds and drops a column of the table over and over it must prepare them again unseen: no error, and each
     * answer has the columns of the table as it was.
     */
    @Test
    void readsThatNeverPrepareNeverSeeACachedPlanErrorWhileTheTableChanges() throws Exception {
        try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement()) {
            s.execute("DROP TABLE IF EXISTS cc_churn");
            s.execute("CREATE TABLE cc_churn (id int PRIMARY KEY, a int)");
            s.execute("INSERT INTO cc_churn VALUES (1, 10)");
        }
        long stalePlansBefore = spread.routing("app").stalePlans();
        ExecutorService threads = Executors.newFixedThreadPool(5);
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            List<CompletableFuture<List<String>>> readers = new ArrayList<>();
            for (String mode : List.of("extended", "simple", "extended", "simple")) {
                readers.add(CompletableFuture.supplyAsync(() -> {
                    List<String> problems = new ArrayList<>();
                    try (Connection c = ProxyFixture.connect(spread, "prepareThreshold", "0", "preferQueryMode", mode);
                         Statement each = c.createStatement()) {
                        while (System.nanoTime() < until) {
                            try (ResultSet rs = each.executeQuery("SELECT * FROM cc_churn WHERE id = 1")) {
                                int columns = rs.getMetaData().getColumnCount();
                                if (!rs.next() || rs.getInt("a") != 10 || columns < 2 || columns > 3) {
                                    problems.add(mode + ": " + columns + " columns");
                                }
                            } catch (SQLException e) {
                                problems.add(mode + ": " + e.getSQLState() + " " + e.getMessage());
                            }
                        }
                    } catch (SQLException e) {
                        problems.add(mode + ": " + e.getSQLState() + " " + e.getMessage());
                    }
                    return problems;
                }, threads));
            }
            CompletableFuture<Integer> changes = CompletableFuture.supplyAsync(() -> {
                int made = 0;
                try (Connection c = fixture.connectDirect(); Statement each = c.createStatement()) {
                    while (System.nanoTime() < until) {
                        each.execute(made % 2 == 0 ? "ALTER TABLE cc_churn ADD COLUMN b int"
                                : "ALTER TABLE cc_churn DROP COLUMN b");
                        made++;
                        Thread.sleep(25);
                    }
                } catch (SQLException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return made;
            }, threads);
            assertThat(changes.get(30, TimeUnit.SECONDS)).as("shape changes").isGreaterThan(10);
            for (CompletableFuture<List<String>> each : readers) {
                assertThat(each.get(30, TimeUnit.SECONDS)).as("what a reader saw go wrong").isEmpty();
            }
            assertThat(spread.routing("app").stalePlans() - stalePlansBefore)
                    .as("0A000 answers pgroute got and hid: the path under test ran").isPositive();
        } finally {
            stop(threads);
        }
    }

    private static String showOf(WireClient client, String parameter) throws Exception {
        return showOf(client, parameter, "SHOW " + parameter);
    }

    private static String showOf(WireClient client, String what, String sql) throws Exception {
        client.send(new Query(sql));
        List<Message> reply = client.readUntilReady();
        assertThat(WireClient.types(reply)).as(what).isEqualTo("TDCZ");
        return reply.get(1).firstValue();
    }

    /**
     * COMPAT T7: a session advisory lock taken through a schema-qualified call pins the client like the plain call: the
     * lock stays its own across statements (another client cannot take it), and is gone once the client is.
     */
    @Test
    void aQualifiedAdvisoryLockPinsItsClient() throws Exception {
        try (Connection other = ProxyFixture.connect(pair)) {
            try (Connection holder = ProxyFixture.connect(pair); Statement s = holder.createStatement()) {
                s.execute("SELECT pg_catalog.pg_advisory_lock(515151)");
                int pid = scalar(holder, "SELECT pg_backend_pid()");
                for (int i = 0; i < 5; i++) {
                    assertThat(text(other, "SELECT pg_try_advisory_lock(515151)::text")).isEqualTo("false");
                    assertThat(scalar(holder, "SELECT pg_backend_pid()")).isEqualTo(pid);
                }
            }
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(text(other, "SELECT pg_try_advisory_lock(515151)::text")).isEqualTo("true"));
            assertThat(text(other, "SELECT pg_advisory_unlock(515151)::text")).isEqualTo("true");
        }
    }

    private static String text(Connection connection, String sql) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    /** Bind of the unnamed statement to the unnamed portal, without parameters. */
    private static Bind unnamedBind() {
        return new Bind("", "", new short[0], new byte[0][], new short[0]);
    }

    /** Stops a test's threads, failing the test if one of them does not end within 10 s. */
    private static void stop(ExecutorService threads) throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).as("the test's threads ended").isTrue();
    }

    private static List<Message> readN(WireClient client, int count) throws Exception {
        List<Message> result = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            result.add(client.read(10_000));
        }
        return result;
    }

    /** One int from {@code sql} on a new pgjdbc connection through the single-connection pgroute. */
    private static int scalar(String sql) {
        try (Connection c = ProxyFixture.connect(single)) {
            return scalar(c, sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int scalar(Connection connection, String sql) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }
}
