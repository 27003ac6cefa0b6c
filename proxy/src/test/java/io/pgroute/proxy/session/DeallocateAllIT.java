package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Close;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client's SQL {@code DEALLOCATE ALL} drops the statements pgroute prepared on that backend connection for every
 * client; pgroute must know, or the next client to use one gets 26000 (PgBouncer #974, Prisma; COMPAT V8).
 */
class DeallocateAllIT {

    @Test
    void anotherClientsDeallocateAllDoesNotBreakMyPreparedStatement() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("deallocate-all.yaml", Map.of("pool", "  size: 1"))) {
            String url = "jdbc:postgresql://127.0.0.1:" + server.port() + "/app";
            Properties props = new Properties();
            props.setProperty("user", "app");
            props.setProperty("password", "app");
            props.setProperty("prepareThreshold", "1");  // a server-side named statement from the first run
            // on the primary, so that both clients use the one primary connection (reads may go to replicas)
            String sql = "/* pgroute: primary */ SELECT ?::int + 1";
            try (Connection first = DriverManager.getConnection(url, props);
                 PreparedStatement ps = first.prepareStatement(sql);
                 Connection other = DriverManager.getConnection(url, props);
                 Statement os = other.createStatement()) {
                assertThat(plusOne(ps, 1)).isEqualTo(2);
                assertThat(plusOne(ps, 2)).isEqualTo(3);

                os.execute("/* pgroute: primary */ DEALLOCATE ALL");

                for (int i = 3; i < 10; i++) {
                    assertThat(plusOne(ps, i)).as("run %d after the other client's DEALLOCATE ALL", i)
                            .isEqualTo(i + 1);
                }
                try (ResultSet rs = os.executeQuery("/* pgroute: primary */ SELECT 41 + 1")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(42);
                }
            }
        }
    }

    /**
     * psycopg's pipeline: DEALLOCATE ALL, then a named Parse and two Binds of it, one Sync (COMPAT V9). The reset
     * takes effect where it stands in the stream: the statement prepared after it survives, in the client's map
     * and on the server connection, also for the statements that come after the Sync.
     */
    @Test
    void aStatementPreparedAfterDeallocateAllInTheSamePipelineSurvivesIt() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("deallocate-all-pipeline.yaml", Map.of("pool", "  size: 1"));
             WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
            String sql = "/* pgroute: primary */ SELECT $1::int + 100";
            for (int round = 0; round < 3; round++) {
                client.send(new Parse("", "/* pgroute: primary */ DEALLOCATE ALL", new int[0]),
                        new Bind("", "", new short[0], new byte[0][], new short[0]), new Execute("", 0),
                        new Parse("_pg3_0", sql, new int[0]), bind("_pg3_0", String.valueOf(round)), new Execute("", 0),
                        bind("_pg3_0", String.valueOf(round + 1)), new Execute("", 0), Sync.INSTANCE);
                List<WireClient.Message> reply = client.readUntilReady();
                assertThat(WireClient.types(reply)).as("round %d: %s", round, reply).isEqualTo("12C12DC2DCZ");
                assertThat(reply.get(5).firstValue()).isEqualTo(String.valueOf(100 + round));
                assertThat(reply.get(8).firstValue()).isEqualTo(String.valueOf(101 + round));
                client.send(bind("_pg3_0", "7"), new Execute("", 0), Sync.INSTANCE);
                reply = client.readUntilReady();
                assertThat(WireClient.types(reply)).as("after the Sync: %s", reply).isEqualTo("2DCZ");
                assertThat(reply.get(1).firstValue()).isEqualTo("107");
                client.send(new Close((byte) 'S', "_pg3_0"), Sync.INSTANCE);  // as psycopg's own reset would
                assertThat(WireClient.types(client.readUntilReady())).isEqualTo("3Z");
            }
        }
    }

    /**
     * psycopg's pipeline with prepare_threshold 1: the unnamed statement, then the same text as a named statement,
     * both run, one Sync. The second time the server connection already has the named statement, so pgroute answers
     * its Parse itself, in the middle of the batch.
     */
    @Test
    void aPipelineWhoseNamedParseIsAnsweredByPgrouteCompletes() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("pipeline-known.yaml", Map.of("pool", "  size: 1"))) {
            String sql = "/* pgroute: primary */ SELECT $1::int * 2";
            for (int round = 0; round < 3; round++) {
                try (WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
                    client.send(new Parse("", sql, new int[0]), bind("", "1"), Describe.portal(""),
                            new Execute("", 0), new Parse("_pg3_0", sql, new int[0]), bind("_pg3_0", "2"),
                            Describe.portal(""), new Execute("", 0), Sync.INSTANCE);
                    List<WireClient.Message> reply = client.readUntilReady();
                    assertThat(WireClient.types(reply)).as("round %d: %s", round, reply).isEqualTo("12TDC12TDCZ");
                    assertThat(reply.get(3).firstValue()).isEqualTo("2");
                    assertThat(reply.get(8).firstValue()).isEqualTo("4");
                }
            }
        }
    }

    /**
     * Npgsql's reset: {@code DISCARD ALL} as a simple Query in front of the first command after a connection comes
     * out of its pool, in the same write. The statements defined after it in the stream (a repeated unnamed one that
     * pgroute runs as its own named statement, a named one) survive it, as on PostgreSQL, for the client and on the
     * server connection (COMPAT V8).
     */
    @Test
    void aStatementPreparedAfterDiscardAllInTheSamePipelineSurvivesIt() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("discard-all-pipeline.yaml", Map.of("pool", "  size: 1"));
             WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
            String unnamed = "/* pgroute: primary */ SELECT $1::int + 1000";
            String named = "/* pgroute: primary */ SELECT $1::int + 2000";
            for (int round = 0; round < 3; round++) {
                for (int warm = 0; warm < 2; warm++) {  // a repeated unnamed statement: pgroute prepares it once
                    client.send(new Parse("", unnamed, new int[0]), bind("", "1"), new Execute("", 0), Sync.INSTANCE);
                    assertThat(WireClient.types(client.readUntilReady())).isEqualTo("12DCZ");
                }
                client.send(new io.pgroute.protocol.frontend.Query("/* pgroute: primary */ DISCARD ALL"),
                        new Parse("", unnamed, new int[0]), bind("", String.valueOf(round)), new Execute("", 0),
                        Sync.INSTANCE,
                        new Parse("n" + round, named, new int[0]), bind("n" + round, String.valueOf(round)),
                        new Execute("", 0), Sync.INSTANCE);
                List<WireClient.Message> reply = client.readUntilReady();
                assertThat(WireClient.types(reply)).as("round %d, DISCARD ALL: %s", round, reply).isEqualTo("CZ");
                reply = client.readUntilReady();
                assertThat(WireClient.types(reply)).as("the unnamed statement after it: %s", reply)
                        .isEqualTo("12DCZ");
                assertThat(reply.get(2).firstValue()).isEqualTo(String.valueOf(1000 + round));
                reply = client.readUntilReady();
                assertThat(WireClient.types(reply)).as("the named statement after it: %s", reply).isEqualTo("12DCZ");
                assertThat(reply.get(2).firstValue()).isEqualTo(String.valueOf(2000 + round));

                client.send(bind("n" + round, "7"), new Execute("", 0), Sync.INSTANCE);
                reply = client.readUntilReady();
                assertThat(WireClient.types(reply)).as("the named statement, later: %s", reply).isEqualTo("2DCZ");
                assertThat(reply.get(1).firstValue()).isEqualTo("2007");
                client.send(new Parse("", unnamed, new int[0]), bind("", "5"), new Execute("", 0), Sync.INSTANCE);
                reply = client.readUntilReady();
                assertThat(WireClient.types(reply)).as("the unnamed statement, later: %s", reply).isEqualTo("12DCZ");
                assertThat(reply.get(2).firstValue()).isEqualTo("1005");
            }
        }
    }

    private static Bind bind(String statement, String value) {
        return new Bind("", statement, new short[0], new byte[][] {value.getBytes(StandardCharsets.UTF_8)},
                new short[0]);
    }

    private static int plusOne(PreparedStatement ps, int value) throws Exception {
        ps.setInt(1, value);
        try (ResultSet rs = ps.executeQuery()) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }
}
