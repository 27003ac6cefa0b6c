package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.protocol.backend.RowDescription;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that sends the same text as an unnamed statement again and again (pgbench {@code -M extended}, drivers'
 * one-shot queries) has it run on the replica as a statement prepared there under pgroute's name: the replica parses
 * and plans it once, not at every request (measured: select-only extended, about 12 000 → 19 000-21 000 tps, above
 * PgBouncer). A statement prepared by name fails with 0A000 once a table it reads changes shape, which the unnamed
 * one never does: the request is then run again, the statement prepared anew, and the client sees the new columns.
 */
class UnnamedStatementReuseIT {

    private static final String TABLE = "unnamed_reuse";

    /** One unnamed Parse, Bind, Describe (portal), Execute and Sync of {@code sql}; the answer's types. */
    private static List<WireClient.Message> run(WireClient client, String sql) throws Exception {
        client.send(new Parse("", sql, new int[0]), new Bind("", "", new short[0], new byte[0][], new short[0]),
                Describe.portal(""), new Execute("", 0), Sync.INSTANCE);
        return client.readUntilReady();
    }

    private static long parsesSkipped() throws SQLException {
        return ProxyFixture.stat(ProxyFixture.get().server(), "parses_skipped");
    }

    @Test
    void aRepeatedUnnamedStatementIsNotParsedAgainAndSurvivesATableChangingShape() throws Exception {
        repeatsThenSurvivesATableChangingShape(TABLE, "", "t");
    }

    /** The same on the primary: a read outside a transaction, alone in the client's queue. */
    @Test
    void onThePrimaryToo() throws Exception {
        repeatsThenSurvivesATableChangingShape(TABLE + "_primary", "/* pgroute: primary */ ", "f");
    }

    private static void repeatsThenSurvivesATableChangingShape(String table, String hint, String standby)
            throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        direct("DROP TABLE IF EXISTS " + table, "CREATE TABLE " + table + " (a int)",
                "INSERT INTO " + table + " VALUES (1)");
        fixture.cluster().awaitReplication(Duration.ofSeconds(30));
        String sql = hint + "SELECT *, pg_is_in_recovery() AS standby FROM " + table;
        try (WireClient client = WireClient.connect(fixture.port(), "trusted", "app")) {
            long before = parsesSkipped();
            for (int i = 0; i < 10; i++) {
                List<WireClient.Message> answer = run(client, sql);
                assertThat(WireClient.types(answer)).as("%s at %d", answer, i).isEqualTo("12TDCZ");
                assertThat(columns(answer)).containsExactly("a", "standby");
                assertThat(value(answer, 1)).as("which node answered").isEqualTo(standby);
            }
            assertThat(parsesSkipped() - before).as("parsed once per server connection at most, not ten times")
                    .isGreaterThanOrEqualTo(5);

            direct("ALTER TABLE " + table + " ADD COLUMN b int DEFAULT 7");
            fixture.cluster().awaitReplication(Duration.ofSeconds(30));
            for (int i = 0; i < 3; i++) {
                List<WireClient.Message> answer = run(client, sql);
                assertThat(WireClient.types(answer)).as("no 0A000 for a statement the client never prepared")
                        .isEqualTo("12TDCZ");
                assertThat(columns(answer)).containsExactly("a", "b", "standby");
                assertThat(value(answer, 1)).isEqualTo("7");
                assertThat(value(answer, 2)).isEqualTo(standby);
            }
        }
    }

    /**
     * A write without RETURNING has no result type to change, so PostgreSQL runs it by name even after its table
     * changed shape: it is bound by name anywhere, in a transaction too (pgbench's TPC-B {@code -M extended}).
     */
    @Test
    void aRepeatedUnnamedWriteRunsByNameInsideATransaction() throws Exception {
        String table = TABLE + "_write";
        direct("DROP TABLE IF EXISTS " + table, "CREATE TABLE " + table + " (id int PRIMARY KEY, a int)",
                "INSERT INTO " + table + " VALUES (1, 0)");
        String sql = "UPDATE " + table + " SET a = a + $1 WHERE id = $2";
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            long before = parsesSkipped();
            inTransaction(client, sql, 10);
            assertThat(parsesSkipped() - before).as("parsed once per server connection, not ten times")
                    .isGreaterThanOrEqualTo(8);
            direct("ALTER TABLE " + table + " ALTER COLUMN a TYPE bigint", "ALTER TABLE " + table + " ADD b int");
            inTransaction(client, sql, 3);
        }
        try (Connection c = ProxyFixture.get().connectDirect(); Statement s = c.createStatement();
             java.sql.ResultSet rows = s.executeQuery("SELECT a FROM " + table)) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getLong(1)).as("every update applied once").isEqualTo(13);
        }
    }

    private static void inTransaction(WireClient client, String sql, int times) throws Exception {
        client.send(new io.pgroute.protocol.frontend.Query("BEGIN"));
        assertThat(WireClient.types(client.readUntilReady())).isEqualTo("CZ");
        byte[][] values = {"1".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                "1".getBytes(java.nio.charset.StandardCharsets.US_ASCII)};
        for (int i = 0; i < times; i++) {
            client.send(new Parse("", sql, new int[0]), new Bind("", "", new short[0], values, new short[0]),
                    Describe.portal(""), new Execute("", 0), Sync.INSTANCE);
            List<WireClient.Message> answer = client.readUntilReady();
            assertThat(WireClient.types(answer)).as("%s at %d", answer, i).isEqualTo("12nCZ");
        }
        client.send(new io.pgroute.protocol.frontend.Query("COMMIT"));
        assertThat(WireClient.types(client.readUntilReady())).isEqualTo("CZ");
    }

    private static void direct(String... sql) throws SQLException {
        try (Connection c = ProxyFixture.get().connectDirect(); Statement s = c.createStatement()) {
            for (String each : sql) {
                s.execute(each);
            }
        }
    }

    private static List<String> columns(List<WireClient.Message> answer) {
        RowDescription description = answer.stream().filter(each -> each.type() == 'T').findFirst().orElseThrow()
                .decode(RowDescription::decode);
        return description.fields().stream().map(RowDescription.Field::name).toList();
    }

    private static String value(List<WireClient.Message> answer, int column) {
        byte[] value = answer.stream().filter(each -> each.type() == 'D').findFirst().orElseThrow()
                .decode(io.pgroute.protocol.backend.DataRow::decode).values()[column];
        return value == null ? null : new String(value, java.nio.charset.StandardCharsets.UTF_8);
    }
}
