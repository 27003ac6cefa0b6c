package io.pgroute.proxy.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A request that waits for a server connection (all of them busy) is pgroute's: a cancel drops it, with 57014, and
 * it never runs later (COMPAT T6); running out of time gets an error for that request, not the client's connection
 * closed (COMPAT E4).
 */
class WaitingForAConnectionIT {

    private static ProxyFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = ProxyFixture.get();
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS waiting_rows (id int)");
            s.execute("TRUNCATE waiting_rows");
        }
    }

    private static PgrouteServer server(String pool) throws Exception {
        return ProxyFixture.server("waiting.yaml", Map.of("pool", pool));
    }


    @Test
    void aCancelledRequestThatWaitsForAConnectionNeverRuns() throws Exception {
        try (PgrouteServer server = server("  size: 1\n  timeout: 20s");
             Connection holder = ProxyFixture.connect(server); Statement hs = holder.createStatement();
             Connection waiter = ProxyFixture.connect(server); Statement ws = waiter.createStatement()) {
            holder.setAutoCommit(false);
            hs.execute("INSERT INTO waiting_rows VALUES (1)");  // the only primary connection, until commit
            CompletableFuture<Void> commitLater = CompletableFuture.runAsync(() -> {
                try {
                    TimeUnit.MILLISECONDS.sleep(2_500);
                    holder.commit();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ws.setQueryTimeout(1);  // pgjdbc sends a CancelRequest after 1 s, while the INSERT waits
            assertThatThrownBy(() -> ws.execute("INSERT INTO waiting_rows VALUES (2)"))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("57014");
            assertThat(commitLater).as("answered when cancelled, not when a connection came free").isNotDone();
            commitLater.get(10, TimeUnit.SECONDS);
            ws.setQueryTimeout(0);
            try (ResultSet rs = ws.executeQuery("/* pgroute: primary */ SELECT array_agg(id ORDER BY id)::text "
                    + "FROM waiting_rows")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).as("the cancelled INSERT never ran").isEqualTo("{1}");
            }
            TimeUnit.MILLISECONDS.sleep(500);
            try (Connection direct = fixture.connectDirect(); Statement ds = direct.createStatement();
                 ResultSet rs = ds.executeQuery("SELECT count(*) FROM waiting_rows WHERE id = 2")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).as("not later either").isZero();
            }
        }
    }

    @Test
    void aRequestThatWaitsTooLongGetsAnErrorAndTheClientStays() throws Exception {
        try (PgrouteServer server = server("  size: 1\n  timeout: 1s");
             Connection holder = ProxyFixture.connect(server); Statement hs = holder.createStatement();
             Connection waiter = ProxyFixture.connect(server); Statement ws = waiter.createStatement()) {
            holder.setAutoCommit(false);
            hs.execute("INSERT INTO waiting_rows VALUES (3)");
            assertThatThrownBy(() -> ws.execute("INSERT INTO waiting_rows VALUES (4)"))
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("53300");
            holder.rollback();
            try (ResultSet rs = ws.executeQuery("/* pgroute: primary */ SELECT count(*) FROM waiting_rows "
                    + "WHERE id IN (3, 4)")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).as("the same client connection goes on").isZero();
            }
        }
    }

    /**
     * A request ended by Flush (pg-cursor's Parse, Bind, Execute with a row limit, Flush: it waits for the rows
     * before it sends more) when no connection frees up in time: the error comes at once, as PostgreSQL answers an error in the extended protocol, then everything up to
     * the client's Sync is dropped and the Sync gets ReadyForQuery; the client stays (COMPAT E4). It was closed with
     * FATAL before.
     */
    @Test
    void aFlushEndedRequestThatWaitsTooLongGetsAnErrorThenReadyForQueryAtItsSync() throws Exception {
        try (PgrouteServer server = server("  size: 1\n  timeout: 1s");
             WireClient holder = WireClient.connect(server.port(), "trusted", "app");  // the same pool
             WireClient waiter = WireClient.connect(server.port(), "trusted", "app")) {
            holdTheOnlyConnection(holder, 5);
            sendFlushEndedInsert(waiter, 6);
            expectErrorBeforeSync(waiter, "53300");
            waiter.send(new io.pgroute.protocol.frontend.Execute("", 0), io.pgroute.protocol.frontend.Sync.INSTANCE);
            List<WireClient.Message> rest = waiter.readUntilReady();
            assertThat(WireClient.types(rest)).as("what came up to the Sync was dropped").isEqualTo("Z");
            holder.send(new io.pgroute.protocol.frontend.Query("ROLLBACK"));
            holder.readUntilReady();
            assertThat(rowsWithIds(waiter, 5, 6)).as("nothing ran; the client goes on").isEqualTo("0");
        }
    }

    /**
     * A cancel of a request ended by Flush while it waits for a connection: the error at once, nothing of it ever
     * runs, and its Sync gets ReadyForQuery (COMPAT T6 with E4's Flush). The cancel was ignored before, and the client
     * waited for a connection (or for the pool's timeout) although it had cancelled.
     */
    @Test
    void aCancelledFlushEndedRequestThatWaitsForAConnectionGetsTheErrorAtOnceAndNeverRuns() throws Exception {
        try (PgrouteServer server = server("  size: 1\n  timeout: 30s");
             WireClient holder = WireClient.connect(server.port(), "trusted", "app");  // the same pool
             WireClient waiter = WireClient.connect(server.port(), "trusted", "app")) {
            holdTheOnlyConnection(holder, 7);
            sendFlushEndedInsert(waiter, 8);
            assertThat(waiter.silentFor(500)).as("it waits for the only connection").isTrue();
            waiter.cancel(server.port());
            expectErrorBeforeSync(waiter, "57014");
            waiter.send(io.pgroute.protocol.frontend.Sync.INSTANCE);
            assertThat(WireClient.types(waiter.readUntilReady())).isEqualTo("Z");
            holder.send(new io.pgroute.protocol.frontend.Query("COMMIT"));
            holder.readUntilReady();
            assertThat(rowsWithIds(waiter, 7, 8)).as("only the holder's row: the cancelled INSERT never ran")
                    .isEqualTo("1");
        }
    }

    /** {@code holder} takes the pool's only connection: a transaction that inserted {@code id}, left open. */
    private static void holdTheOnlyConnection(WireClient holder, int id) throws Exception {
        holder.send(new io.pgroute.protocol.frontend.Query("BEGIN"));
        holder.readUntilReady();
        holder.send(new io.pgroute.protocol.frontend.Query("INSERT INTO waiting_rows VALUES (" + id + ")"));
        assertThat(WireClient.types(holder.readUntilReady())).isEqualTo("CZ");
    }

    /** The next message {@code waiter} gets is an ErrorResponse with {@code sqlState}, though it sent no Sync. */
    private static void expectErrorBeforeSync(WireClient waiter, String sqlState) throws Exception {
        WireClient.Message error = waiter.read(5_000);
        assertThat(error.type()).as("the error, before any Sync: %s", error).isEqualTo('E');
        assertThat(error.sqlState()).isEqualTo(sqlState);
    }

    /** How many of waiting_rows' rows have id {@code first} or {@code second}, read on the primary by {@code client}. */
    private static String rowsWithIds(WireClient client, int first, int second) throws Exception {
        client.send(new io.pgroute.protocol.frontend.Query("/* pgroute: primary */ SELECT count(*) FROM waiting_rows"
                + " WHERE id IN (" + first + ", " + second + ")"));
        List<WireClient.Message> answer = client.readUntilReady();
        assertThat(WireClient.types(answer)).isEqualTo("TDCZ");
        return answer.get(1).firstValue();
    }

    /** Parse, Bind, Execute of an INSERT of {@code id}, ended by Flush (no Sync), as pg-cursor sends a step. */
    private static void sendFlushEndedInsert(WireClient waiter, int id) throws Exception {
        waiter.send(new io.pgroute.protocol.frontend.Parse("", "INSERT INTO waiting_rows VALUES (" + id + ")",
                        new int[0]),
                new io.pgroute.protocol.frontend.Bind("", "", new short[0], new byte[0][], new short[0]),
                new io.pgroute.protocol.frontend.Execute("", 0), io.pgroute.protocol.frontend.Flush.INSTANCE);
    }

    @Test
    void emptyQueriesOfConnectionValidatorsNeedNoServerConnection() throws Exception {
        try (PgrouteServer server = server("  size: 1");
             Connection validated = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port()
                     + "/app?preferQueryMode=simple", "app", "app"); Statement vs = validated.createStatement()) {
            long before = stat(server, "queries");
            for (int i = 0; i < 100; i++) {
                // pgjdbc's isValid sends an empty simple Query (COMPAT E14)
                assertThat(validated.isValid(2)).as("isValid %d", i).isTrue();
            }
            assertThat(vs.execute(";")).as("SQLAlchemy's pre-ping").isFalse();
            assertThat(vs.execute("/* only a comment */")).isFalse();
            assertThat(stat(server, "queries") - before).as("request cycles a server answered").isZero();

            validated.setAutoCommit(false);
            vs.execute("SELECT 1");
            assertThat(validated.isValid(2)).as("in a transaction").isTrue();
            vs.execute("SELECT 2");  // pgjdbc checks each ReadyForQuery's transaction status
            validated.commit();
            try (ResultSet rs = vs.executeQuery("SELECT 3")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(3);
            }
        }
    }

    private static long stat(PgrouteServer server, String column) throws SQLException {
        try (Connection admin = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port()
                + "/pgroute", "admin", "admin"); Statement s = admin.createStatement();
             ResultSet rs = s.executeQuery("SHOW STATS")) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(column);
        }
    }
}
