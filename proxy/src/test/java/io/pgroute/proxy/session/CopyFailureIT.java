package io.pgroute.proxy.session;

import io.pgroute.localcluster.LocalClusterException;
import io.pgroute.protocol.backend.CommandComplete;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.frontend.CopyData;
import io.pgroute.protocol.frontend.CopyDone;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.CopyFail;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Flush;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.session.WireClient.Message;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * COPY FROM STDIN that ends badly, through a pgroute whose pool holds one connection per server: a COPY the server
 * fails mid-stream (a bad row) or the client gives up (CopyFail) leaves that connection healthy and free for the next
 * client, and what the client still sends for it is dropped (COMPAT C3); a CopyDone or CopyFail that comes after the
 * COPY ended gets no answer, as from PostgreSQL (C4). A COPY TO STDOUT whose client went away is stopped (C5).
 */
class CopyFailureIT {

    private static final String TABLE = "copy_failure";
    private static final String COPY = "COPY " + TABLE + " (id, note) FROM STDIN";
    private static final String EXTENDED_TABLE = "copy_extended";
    private static final String EXTENDED_COPY = "COPY " + EXTENDED_TABLE + " (id, note) FROM STDIN";
    /** A role that logs in with md5, for a raw connection straight to the primary to compare with. */
    private static final String DIRECT_USER = "copy_direct";

    private static ProxyFixture fixture;
    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        fixture = ProxyFixture.get();
        try {
            fixture.cluster().createMd5User(DIRECT_USER, DIRECT_USER);
        } catch (LocalClusterException exists) {
            // created by an earlier run on the same cluster
        }
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (id int, note text)");
            s.execute("TRUNCATE " + TABLE);
            s.execute("GRANT ALL ON " + TABLE + " TO " + DIRECT_USER);
            s.execute("CREATE TABLE IF NOT EXISTS " + EXTENDED_TABLE + " (id int, note text)");
            s.execute("GRANT ALL ON " + EXTENDED_TABLE + " TO " + DIRECT_USER);
        }
        server = ProxyFixture.server("copy-failure.yaml", Map.of("pool", "  size: 1"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /**
     * COMPAT C5: a COPY TO STDOUT of about 10 GB streams to a client that reads a little of it and goes away (twice:
     * with a Terminate, then by dropping the socket). The server's COPY is stopped within seconds, not left to run
     * or buffered in pgroute, and the one server connection serves the next client.
     */
    @Test
    void aCopyOutWhoseClientWentAwayIsStoppedAndItsConnectionServesTheNext() throws Exception {
        for (boolean drop : new boolean[] {false, true}) {
            String marker = "copy-out-gone-" + drop + "-" + System.nanoTime();
            try (WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
                client.send(new Query("/* pgroute: primary */ COPY /* " + marker + " */ (SELECT repeat('x', 1000) "
                        + "FROM generate_series(1, 10000000)) TO STDOUT"));
                assertThat(client.read().type()).as("CopyOutResponse").isEqualTo('H');
                for (int i = 0; i < 1000; i++) {
                    assertThat(client.read().type()).as("CopyData %d", i).isEqualTo('d');
                }
                assertThat(fixture.primaryBackendsWith(marker, true)).as("the COPY runs").isEqualTo(1);
                if (drop) {
                    client.abort();
                }
            }
            await("the COPY of a client gone (dropped: " + drop + ") stopped").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> fixture.primaryBackendsWith(marker, true) == 0);
            try (Connection other = ProxyFixture.connect(server); Statement s = other.createStatement();
                 ResultSet rs = s.executeQuery("/* pgroute: primary */ SELECT 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
        }
    }

    @Test
    void aCopyThatFailsOnABadRowInATransactionLeavesTheOnlyConnectionToTheNextClient() throws Exception {
        byte[] data = rowsWithABadSecondRow(2 << 20);
        try (Connection copier = ProxyFixture.connect(server); Connection other = ProxyFixture.connect(server);
             Statement os = other.createStatement()) {
            CopyManager copy = copier.unwrap(PGConnection.class).getCopyAPI();
            copier.setAutoCommit(false);  // pgjdbc sends BEGIN in front of the COPY
            for (int round = 0; round < 30; round++) {
                // the server fails on the second row; pgjdbc goes on sending the 2 MB after it
                assertThatThrownBy(() -> copy.copyIn(COPY, new ByteArrayInputStream(data)))
                        .as("round %d", round)
                        .isInstanceOf(SQLException.class)
                        .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("22P02");
                copier.rollback();
                long start = System.nanoTime();
                try (ResultSet rs = os.executeQuery("/* pgroute: primary */ SELECT 1")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(1);
                }
                // pool.timeout is 5 s: a connection left mid-COPY or never given back makes this wait for it
                assertThat((System.nanoTime() - start) / 1_000_000).as("ms until round %d's other client is answered",
                        round).isLessThan(1_000);
            }
        }
        try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + TABLE)) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).as("rows copied").isZero();
        }
    }

    @Test
    void copyFailAndCopyMessagesAfterTheCopyEndedAreAnsweredAsByPostgreSql() throws Exception {
        List<String> throughPgroute;
        try (WireClient client = WireClient.connect(server.port(), "trusted", ProxyFixture.DATABASE)) {
            throughPgroute = failedAndStrayCopies(client);
        }
        List<String> direct;
        try (WireClient client = WireClient.connect(fixture.cluster().primary().port(), DIRECT_USER, DIRECT_USER,
                ProxyFixture.DATABASE)) {
            direct = failedAndStrayCopies(client);
        }
        assertThat(throughPgroute).containsExactly(
                "G",
                "E(57014 COPY from stdin failed: client gave up) Z(I)",
                "T D(0) C(SELECT 1) Z(I)",
                "silent",
                "T D(1) C(SELECT 1) Z(I)",
                "G",
                "E(22P02 invalid input syntax for type integer: \"x\") Z(I)",
                "silent",
                "T D(0) C(SELECT 1) Z(I)",
                "C(BEGIN) Z(T)",
                "G",
                "C(COPY 1) Z(T)",
                "silent",
                "T D(1) C(SELECT 1) Z(T)",
                "C(ROLLBACK) Z(I)");
        assertThat(throughPgroute).as("as PostgreSQL answers it directly").isEqualTo(direct);
    }

    @Test
    void copiesThroughTheExtendedProtocolAreAnsweredAsByPostgreSql() throws Exception {
        List<String> direct;
        try (WireClient client = WireClient.connect(fixture.cluster().primary().port(), DIRECT_USER, DIRECT_USER,
                ProxyFixture.DATABASE)) {
            direct = extendedCopies(client);
        }
        List<String> throughPgroute;
        try (WireClient client = WireClient.connect(server.port(), "trusted", ProxyFixture.DATABASE);
             WireClient other = WireClient.connect(server.port(), "trusted", ProxyFixture.DATABASE)) {
            throughPgroute = extendedCopies(client);
            // the pool's only connection went back although the server ignored a Sync (no ReadyForQuery for it)
            assertThat(describe(query(other, "SELECT 5"))).as("another client, the first one idle")
                    .isEqualTo("T D(5) C(SELECT 1) Z(I)");
        }
        assertThat(direct).containsExactly(
                "1 2 G",
                "C(COPY 2) Z(I)",
                "1 2 G",
                "E(22P02 invalid input syntax for type integer: \"x\")",
                "Z(I)",
                "1 2 G",
                "silent",
                "C(COPY 1) Z(I)",
                "T D(3) C(SELECT 1) Z(I)");
        assertThat(throughPgroute).as("as PostgreSQL answers it directly").isEqualTo(direct);
    }

    /**
     * COPY … FROM STDIN by Parse, Bind and Execute: ended by a Sync after CopyDone; failed by the server on a bad row
     * (it then skips everything up to a Sync); and with the Sync sent right behind the Execute, which the server
     * ignores during the copy, so the CopyDone's CommandComplete comes only with another Sync's ReadyForQuery.
     */
    private static List<String> extendedCopies(WireClient client) throws IOException {
        List<String> result = new ArrayList<>();
        Object[] copy = {new Parse("", EXTENDED_COPY, new int[0]),
            new Bind("", "", new short[0], new byte[0][], new short[0]), new Execute("", 0)};
        query(client, "TRUNCATE " + EXTENDED_TABLE);
        client.send(copy);
        client.send(Flush.INSTANCE);
        result.add(describe(List.of(client.read(), client.read(), client.read())));
        client.send(data("1\tone\n"), data("2\ttwo\n"), CopyDone.INSTANCE, Sync.INSTANCE);
        result.add(describe(client.readUntilReady()));

        client.send(copy);
        client.send(Flush.INSTANCE);
        result.add(describe(List.of(client.read(), client.read(), client.read())));
        client.send(data("x\tnot a number\n"));
        result.add(describe(List.of(client.read())));
        client.send(data("3\tthree\n"), CopyDone.INSTANCE, Sync.INSTANCE);  // skipped up to the Sync
        result.add(describe(client.readUntilReady()));

        client.send(copy);
        client.send(Sync.INSTANCE);
        result.add(describe(List.of(client.read(), client.read(), client.read())));
        client.send(data("4\tfour\n"), CopyDone.INSTANCE);
        result.add(client.silentFor(300) ? "silent" : "answered");  // its CommandComplete is sent at the next Sync
        client.send(Sync.INSTANCE);
        result.add(describe(client.readUntilReady()));
        result.add(describe(query(client, "SELECT count(*) FROM " + EXTENDED_TABLE)));
        return result;
    }

    /**
     * A COPY the client fails, messages that come after it, a COPY the server fails with the client still sending
     * data, and a COPY inside a transaction with messages after its end (which reach the server there): what
     * {@code client} gets back for each step.
     */
    private static List<String> failedAndStrayCopies(WireClient client) throws IOException {
        List<String> result = new ArrayList<>();
        client.send(new Query(COPY));
        result.add(describe(List.of(client.read())));
        client.send(data("1\tone\n"), data("2\ttwo\n"), new CopyFail("client gave up"));
        result.add(describe(client.readUntilReady()));
        result.add(describe(query(client, "SELECT count(*) FROM " + TABLE)));

        client.send(CopyDone.INSTANCE, new CopyFail("too late"), data("3\tthree\n"));  // no COPY is running
        result.add(client.silentFor(300) ? "silent" : "answered");
        result.add(describe(query(client, "SELECT 1")));

        client.send(new Query(COPY));
        result.add(describe(List.of(client.read())));
        client.send(data("x\tnot a number\n"));
        result.add(describe(client.readUntilReady()));  // the error ends the COPY; the client had more to send
        client.send(data("4\tfour\n"), CopyDone.INSTANCE);
        result.add(client.silentFor(300) ? "silent" : "answered");
        result.add(describe(query(client, "SELECT count(*) FROM " + TABLE)));

        result.add(describe(query(client, "BEGIN")));
        client.send(new Query(COPY));
        result.add(describe(List.of(client.read())));
        client.send(data("5\tfive\n"), CopyDone.INSTANCE);
        result.add(describe(client.readUntilReady()));
        // in a transaction pgroute holds the connection: they go to the server, which ignores them
        client.send(CopyDone.INSTANCE, new CopyFail("too late"));
        result.add(client.silentFor(300) ? "silent" : "answered");
        result.add(describe(query(client, "SELECT count(*) FROM " + TABLE)));
        result.add(describe(query(client, "ROLLBACK")));
        return result;
    }

    private static List<Message> query(WireClient client, String sql) throws IOException {
        client.send(new Query(sql));
        return client.readUntilReady();
    }

    private static CopyData data(String rows) {
        return new CopyData(rows.getBytes(StandardCharsets.UTF_8));
    }

    /** The messages' types, with an error's SQLSTATE and message, a row's first value, a tag, a status. */
    private static String describe(List<Message> messages) {
        List<String> result = new ArrayList<>();
        for (Message each : messages) {
            result.add(switch (each.type()) {
                case 'E' -> "E(" + each.sqlState() + " " + each.decode(ErrorResponse::decode).message() + ")";
                case 'D' -> "D(" + each.firstValue() + ")";
                case 'C' -> "C(" + each.decode(CommandComplete::decode).tag() + ")";
                case 'Z' -> "Z(" + (char) each.body()[0] + ")";
                default -> String.valueOf(each.type());
            });
        }
        return String.join(" ", result);
    }

    /** About {@code bytes} of COPY text rows whose second row has text where the table has an int. */
    private static byte[] rowsWithABadSecondRow(int bytes) {
        StringBuilder result = new StringBuilder(bytes + 100);
        result.append("1\tfirst\n").append("not a number\tsecond\n");
        for (int id = 3; result.length() < bytes; id++) {
            result.append(id).append("\tfiller row of a copy that already failed\n");
        }
        return result.toString().getBytes(StandardCharsets.UTF_8);
    }
}
