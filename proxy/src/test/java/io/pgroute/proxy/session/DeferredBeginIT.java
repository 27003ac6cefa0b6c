package io.pgroute.proxy.session;

import io.pgroute.protocol.backend.DataRow;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.CopyData;
import io.pgroute.protocol.frontend.CopyDone;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plain BEGIN sent as a simple Query is answered by pgroute ({@code pool.defer_begin}, on by default) and reaches the
 * primary in front of the transaction's first request: one server round trip less per transaction, and no server
 * connection held by a client that has only said BEGIN. The client must not be able to tell otherwise: the
 * transaction is one, on the primary, whatever its first request is (a read a replica would serve, an extended
 * batch, a COPY, several statements, COMMIT at once), and a failure fails the transaction as PostgreSQL's would.
 */
class DeferredBeginIT {

    private static final String TABLE = "deferred_begin";
    /** One connection per server and a short wait for it: a held connection shows at once. */
    private static final String ONE_CONNECTION = "  size: 1\n  timeout: 1s";
    private static PgrouteServer deferring;
    private static PgrouteServer notDeferring;

    @BeforeAll
    static void start() throws Exception {
        direct("DROP TABLE IF EXISTS " + TABLE, "CREATE TABLE " + TABLE + " (id int PRIMARY KEY, v text)");
        ProxyFixture.get().cluster().awaitReplication(java.time.Duration.ofSeconds(30));
        deferring = ProxyFixture.server("deferring.yaml", Map.of("pool", ONE_CONNECTION));
        notDeferring = ProxyFixture.server("not-deferring.yaml",
                Map.of("pool", ONE_CONNECTION + "\n  defer_begin: false"));
    }

    @AfterAll
    static void stop() {
        if (deferring != null) {
            deferring.close();
        }
        if (notDeferring != null) {
            notDeferring.close();
        }
    }

    @Test
    void aClientThatSaidOnlyBeginHoldsNoServerConnection() throws Exception {
        try (WireClient idle = WireClient.connect(deferring.port(), "trusted", "app");
             WireClient other = WireClient.connect(deferring.port(), "trusted", "app")) {
            assertThat(answer(idle, "BEGIN")).isEqualTo("C:BEGIN Z:T");
            assertThat(answer(other, "INSERT INTO " + TABLE + " VALUES (1, 'other')"))
                    .as("the primary's only connection is free").isEqualTo("C:INSERT 0 1 Z:I");

            assertThat(answer(idle, "SELECT pg_is_in_recovery(), inet_server_port()"))
                    .as("a read a replica would serve: the transaction is on the primary")
                    .isEqualTo("T D:f|" + ProxyFixture.get().cluster().primary().port() + " C:SELECT 1 Z:T");
            assertThat(answer(idle, "INSERT INTO " + TABLE + " VALUES (2, 'idle')")).isEqualTo("C:INSERT 0 1 Z:T");
            assertThat(answer(other, "INSERT INTO " + TABLE + " VALUES (3, 'other')"))
                    .as("now it holds the connection, as PostgreSQL's transaction would").isEqualTo("E:53300 Z:I");
            assertThat(answer(idle, "ROLLBACK")).isEqualTo("C:ROLLBACK Z:I");
        }
        assertThat(directRows()).containsExactly("1 other");
        direct("DELETE FROM " + TABLE);
    }

    @Test
    void withDeferBeginOffTheBeginHoldsTheConnection() throws Exception {
        try (WireClient idle = WireClient.connect(notDeferring.port(), "trusted", "app");
             WireClient other = WireClient.connect(notDeferring.port(), "trusted", "app")) {
            assertThat(answer(idle, "BEGIN")).isEqualTo("C:BEGIN Z:T");
            assertThat(answer(other, "INSERT INTO " + TABLE + " VALUES (3, 'other')")).isEqualTo("E:53300 Z:I");
            assertThat(answer(idle, "COMMIT")).isEqualTo("C:COMMIT Z:I");
        }
    }

    @Test
    void theTransactionIsOneAndItsChangesGoWithItsRollback() throws Exception {
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            assertThat(answer(client, "begin transaction isolation level repeatable read;")).isEqualTo("C:BEGIN Z:T");
            assertThat(answer(client, "SHOW transaction_isolation")).isEqualTo("T D:repeatable read C:SHOW Z:T");
            String xid = answer(client, "SELECT txid_current()");
            assertThat(answer(client, "INSERT INTO " + TABLE + " VALUES (10, 'rolled back')"))
                    .isEqualTo("C:INSERT 0 1 Z:T");
            assertThat(answer(client, "SELECT txid_current()")).as("one transaction").isEqualTo(xid);
            assertThat(answer(client, "ROLLBACK")).isEqualTo("C:ROLLBACK Z:I");

            assertThat(answer(client, "START TRANSACTION")).isEqualTo("C:START TRANSACTION Z:T");
            assertThat(answer(client, "COMMIT")).as("nothing in between").isEqualTo("C:COMMIT Z:I");
            assertThat(answer(client, "BEGIN")).isEqualTo("C:BEGIN Z:T");
            assertThat(answer(client, "BEGIN")).as("PostgreSQL's warning, from the server")
                    .isEqualTo("N:25001 C:BEGIN Z:T");
            assertThat(answer(client, "SELECT 1; SELECT 2")).isEqualTo("T D:1 C:SELECT 1 T D:2 C:SELECT 1 Z:T");
            assertThat(answer(client, "END")).isEqualTo("C:COMMIT Z:I");
        }
        assertThat(directRows()).isEmpty();
    }

    @Test
    void anErrorInTheFirstRequestFailsTheTransaction() throws Exception {
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            assertThat(answer(client, "BEGIN")).isEqualTo("C:BEGIN Z:T");
            assertThat(answer(client, "INSERT INTO " + TABLE + " VALUES (20, 1/0)")).isEqualTo("E:22012 Z:E");
            assertThat(answer(client, "SELECT 1")).isEqualTo("E:25P02 Z:E");
            assertThat(answer(client, "ROLLBACK")).isEqualTo("C:ROLLBACK Z:I");
            assertThat(answer(client, "SELECT 1")).isEqualTo("T D:1 C:SELECT 1 Z:I");
        }
        assertThat(directRows()).isEmpty();
    }

    /**
     * An extended batch as the first request, one binding the unnamed statement the client parsed before its BEGIN:
     * the BEGIN pgroute sends in front uses the unnamed statement too, so the client's is parsed again.
     */
    @Test
    void anExtendedBatchFirstFindsTheUnnamedStatementItParsedBefore() throws Exception {
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            client.send(new Parse("", "INSERT INTO " + TABLE + " VALUES ($1::int, 'unnamed') RETURNING id", new int[0]),
                    Sync.INSTANCE);
            assertThat(render(client.readUntilReady())).isEqualTo("1 Z:I");
            assertThat(answer(client, "BEGIN")).isEqualTo("C:BEGIN Z:T");
            client.send(bind("30"), new Execute("", 0), Sync.INSTANCE);
            assertThat(render(client.readUntilReady())).isEqualTo("2 D:30 C:INSERT 0 1 Z:T");
            client.send(bind("31"), new Execute("", 0), Sync.INSTANCE);
            assertThat(render(client.readUntilReady())).isEqualTo("2 D:31 C:INSERT 0 1 Z:T");
            assertThat(answer(client, "ROLLBACK")).isEqualTo("C:ROLLBACK Z:I");
        }
        assertThat(directRows()).isEmpty();
    }

    @Test
    void aCopyFirstRunsInTheTransaction() throws Exception {
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            assertThat(answer(client, "BEGIN")).isEqualTo("C:BEGIN Z:T");
            client.send(new Query("COPY " + TABLE + " FROM STDIN"));
            assertThat(client.read().type()).as("CopyInResponse").isEqualTo('G');
            client.send(new CopyData("40\tcopied\n".getBytes(StandardCharsets.UTF_8)), CopyDone.INSTANCE);
            assertThat(render(client.readUntilReady())).isEqualTo("C:COPY 1 Z:T");
            assertThat(answer(client, "SELECT v FROM " + TABLE + " WHERE id = 40")).isEqualTo("T D:copied C:SELECT 1 Z:T");
            assertThat(answer(client, "ROLLBACK")).isEqualTo("C:ROLLBACK Z:I");
        }
        assertThat(directRows()).isEmpty();
    }

    /**
     * No server connection for the transaction's first request: the client gets the pool's error and is told it is
     * not in a transaction (nothing of it began anywhere), and goes on.
     */
    @Test
    void noConnectionForTheFirstRequestEndsTheTransactionThatNeverBegan() throws Exception {
        try (WireClient holder = WireClient.connect(deferring.port(), "trusted", "app");
             WireClient client = WireClient.connect(deferring.port(), "trusted", "app")) {
            assertThat(answer(holder, "BEGIN")).isEqualTo("C:BEGIN Z:T");
            assertThat(answer(holder, "INSERT INTO " + TABLE + " VALUES (50, 'holder')")).isEqualTo("C:INSERT 0 1 Z:T");
            assertThat(answer(client, "BEGIN")).isEqualTo("C:BEGIN Z:T");
            assertThat(answer(client, "INSERT INTO " + TABLE + " VALUES (51, 'client')")).isEqualTo("E:53300 Z:I");
            assertThat(answer(holder, "COMMIT")).isEqualTo("C:COMMIT Z:I");
            assertThat(answer(client, "INSERT INTO " + TABLE + " VALUES (52, 'client')")).isEqualTo("C:INSERT 0 1 Z:I");
        }
        assertThat(directRows()).containsExactly("50 holder", "52 client");
        direct("DELETE FROM " + TABLE);
    }

    /**
     * A BEGIN sent with the extended protocol as pgbench {@code -M extended} sends it (Parse, Bind, Describe, Execute,
     * Sync) is answered by pgroute, byte for byte as the server answers it, and the transaction is one on the primary;
     * one bound from a statement prepared before (pgbench {@code -M prepared}) goes to the server (see
     * {@link ExtendedBegin}), and gets the same answers.
     */
    @Test
    void anExtendedBeginIsAnsweredAsTheServerAnswersIt() throws Exception {
        int primary = ProxyFixture.get().cluster().primary().port();
        for (PgrouteServer server : List.of(deferring, notDeferring)) {
            try (WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
                String label = server == deferring ? "deferring" : "not deferring";
                client.send(new Parse("", "BEGIN;", new int[0]), new Bind("", "", new short[0], new byte[0][],
                        new short[0]), Describe.portal(""), new Execute("", 0), Sync.INSTANCE);
                assertThat(render(client.readUntilReady())).as(label).isEqualTo("1 2 n C:BEGIN Z:T");
                client.send(new Parse("", "SELECT pg_is_in_recovery(), inet_server_port()", new int[0]),
                        new Bind("", "", new short[0], new byte[0][], new short[0]), new Execute("", 0),
                        Sync.INSTANCE);
                assertThat(render(client.readUntilReady())).as(label).isEqualTo("1 2 D:f|" + primary + " C:SELECT 1 Z:T");
                assertThat(answer(client, "INSERT INTO " + TABLE + " VALUES (60, 'extended')")).as(label)
                        .isEqualTo("C:INSERT 0 1 Z:T");
                assertThat(answer(client, "ROLLBACK")).as(label).isEqualTo("C:ROLLBACK Z:I");

                client.send(new Parse("begin_statement", "begin", new int[0]), Describe.statement("begin_statement"),
                        Sync.INSTANCE);
                assertThat(render(client.readUntilReady())).as(label).isEqualTo("1 t:0000 n Z:I");
                for (int i = 0; i < 2; i++) {
                    client.send(new Bind("", "begin_statement", new short[0], new byte[0][], new short[0]),
                            Describe.portal(""), new Execute("", 0), Sync.INSTANCE);
                    assertThat(render(client.readUntilReady())).as(label).isEqualTo("2 n C:BEGIN Z:T");
                    assertThat(answer(client, "INSERT INTO " + TABLE + " VALUES (61, 'prepared')")).as(label)
                            .isEqualTo("C:INSERT 0 1 Z:T");
                    assertThat(answer(client, "ROLLBACK")).as(label).isEqualTo("C:ROLLBACK Z:I");
                }
            }
        }
        assertThat(directRows()).isEmpty();
    }

    private static Bind bind(String value) {
        return new Bind("", "", new short[0], new byte[][] {value.getBytes(StandardCharsets.US_ASCII)}, new short[0]);
    }

    /** The answer to the simple Query {@code sql} (see {@link #render}). */
    private static String answer(WireClient client, String sql) throws Exception {
        client.send(new Query(sql));
        return render(client.readUntilReady());
    }

    /**
     * Messages as the test reads them: {@code C:tag}, {@code D:v1|v2}, {@code E:sqlstate}, {@code N:sqlstate},
     * {@code Z:status}, {@code T}; others as their type and their body in hex, if any.
     */
    private static String render(List<WireClient.Message> messages) {
        List<String> result = new ArrayList<>();
        for (WireClient.Message each : messages) {
            String body = new String(each.body(), StandardCharsets.UTF_8);
            result.add(switch (each.type()) {
                case 'C' -> "C:" + body.substring(0, body.length() - 1);
                case 'Z' -> "Z:" + body;
                case 'E' -> "E:" + each.decode(ErrorResponse::decode).sqlState();
                case 'N' -> "N:" + each.decode(ErrorResponse::decode).sqlState();
                case 'D' -> "D:" + String.join("|", java.util.Arrays.stream(each.decode(DataRow::decode).values())
                        .map(value -> value == null ? "null" : new String(value, StandardCharsets.UTF_8)).toList());
                case 'T' -> "T";
                default -> each.type() + (each.body().length == 0 ? "" : ":" + HexFormat.of().formatHex(each.body()));
            });
        }
        return String.join(" ", result);
    }

    private static List<String> directRows() throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = ProxyFixture.get().connectDirect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT id, v FROM " + TABLE + " ORDER BY id")) {
            while (r.next()) {
                rows.add(r.getInt(1) + " " + r.getString(2));
            }
        }
        return rows;
    }

    private static void direct(String... sql) throws SQLException {
        try (Connection c = ProxyFixture.get().connectDirect(); Statement s = c.createStatement()) {
            for (String each : sql) {
                s.execute(each);
            }
        }
    }
}
