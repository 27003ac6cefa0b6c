package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.session.WireClient.Message;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Re-Parse of a statement name the client already holds: 42P05 as PostgreSQL answers it, the rest of the batch
 * skipped and its implicit transaction rolled back, the original statement still usable (COMPAT V3). A Parse in an
 * aborted transaction: 25P02, nothing defined, even when the server connection has the statement already (V4).
 */
class ParseNameReuseIT {

    private static Bind bind(String statement) {
        return new Bind("", statement, new short[0], new byte[0][], new short[0]);
    }

    @Test
    void answers42P05AndKeepsTheSessionAndTheFirstStatement() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS parse_reuse (id int)");
            s.execute("TRUNCATE parse_reuse");
        }
        try (WireClient client = WireClient.connect(fixture.port(), "trusted", "app")) {
            client.send(new Parse("a", "SELECT 1 AS first", new int[0]), Sync.INSTANCE);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("1Z");

            client.send(new Parse("",
                            "/* pgroute: primary */ INSERT INTO parse_reuse VALUES (1)", new int[0]),
                    bind(""), new Execute("", 0),
                    new Parse("a", "SELECT 2 AS second", new int[0]), bind("a"), new Execute("", 0), Sync.INSTANCE);
            List<Message> reply = client.readUntilReady();
            assertThat(WireClient.types(reply)).isEqualTo("12CEZ");
            assertThat(reply.get(3).sqlState()).isEqualTo("42P05");

            client.send(bind("a"), new Execute("", 0), Sync.INSTANCE);
            reply = client.readUntilReady();
            assertThat(WireClient.types(reply)).isEqualTo("2DCZ");
            assertThat(reply.get(1).firstValue()).as("the first statement is still the one bound").isEqualTo("1");

            client.send(new Query("/* pgroute: primary */ SELECT count(*) FROM parse_reuse"));
            reply = client.readUntilReady();
            assertThat(reply.get(1).firstValue()).as("the batch's INSERT was rolled back with it").isEqualTo("0");
        }
    }

    @Test
    void aLoneParseOfANameTheClientHoldsGets42P05EvenWhenAServerKnowsItsText() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        try (WireClient other = WireClient.connect(fixture.port(), "trusted", "app");
             WireClient client = WireClient.connect(fixture.port(), "trusted", "app")) {
            // another client makes the second text one a server has parsed: a lone Parse+Sync of such a text is
            // answered by pgroute without a server, which must still refuse a name already in use
            other.send(new Parse("b", "SELECT 2 AS lone_second", new int[0]), bind("b"), new Execute("", 0),
                    Sync.INSTANCE);
            assertThat(WireClient.types(other.readUntilReady())).isEqualTo("12DCZ");

            client.send(new Parse("a", "SELECT 1 AS lone_first", new int[0]), Sync.INSTANCE);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("1Z");
            for (String again : new String[] {"SELECT 2 AS lone_second", "SELECT 1 AS lone_first"}) {
                client.send(new Parse("a", again, new int[0]), Sync.INSTANCE);
                List<Message> reply = client.readUntilReady();
                assertThat(WireClient.types(reply)).as(again).isEqualTo("EZ");
                assertThat(reply.get(0).sqlState()).isEqualTo("42P05");
            }
            client.send(bind("a"), new Execute("", 0), Sync.INSTANCE);
            List<Message> reply = client.readUntilReady();
            assertThat(WireClient.types(reply)).isEqualTo("2DCZ");
            assertThat(reply.get(1).firstValue()).as("still the statement first prepared as a").isEqualTo("1");
        }
    }

    @Test
    void aParseInAnAbortedTransactionGets25P02AndDefinesNothing() throws Exception {
        String sql = "SELECT 3 AS aborted_named";
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            assertThat(WireClient.types(run(client, new Query("BEGIN")))).isEqualTo("CZ");
            // the transaction's connection prepares the texts, so pgroute could answer a Parse of them by itself
            assertThat(WireClient.types(run(client, new Parse("warm", sql, new int[0]), bind("warm"),
                    new Execute("", 0), new Parse("warm_rollback", "ROLLBACK", new int[0]), Sync.INSTANCE)))
                    .isEqualTo("12DC1Z");
            assertThat(run(client, new Query("SELECT 1/0")).get(0).sqlState()).isEqualTo("22012");

            List<Message> reply = run(client, new Parse("a", sql, new int[0]), Sync.INSTANCE);
            assertThat(WireClient.types(reply)).isEqualTo("EZ");
            assertThat(reply.get(0).sqlState()).isEqualTo("25P02");

            // a ROLLBACK is the one Parse PostgreSQL takes in a failed transaction
            reply = run(client, new Parse("rollback", "ROLLBACK", new int[0]), bind("rollback"), new Execute("", 0),
                    Sync.INSTANCE);
            assertThat(WireClient.types(reply)).isEqualTo("12CZ");
            assertThat(reply.get(3).body()).as("ReadyForQuery: idle").containsExactly('I');
            reply = run(client, new Parse("a", sql, new int[0]), bind("a"), new Execute("", 0), Sync.INSTANCE);
            assertThat(WireClient.types(reply)).as("a was not defined by the refused Parse").isEqualTo("12DCZ");
            assertThat(reply.get(2).firstValue()).isEqualTo("3");
        }
    }

    @Test
    void aParseOfANameTheClientHoldsInAnAbortedTransactionGets25P02LikePostgres() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        String directUser = "parse_reuse_direct";
        try {
            fixture.cluster().createMd5User(directUser, directUser);
        } catch (io.pgroute.localcluster.LocalClusterException exists) {
            // created by an earlier run on the same cluster
        }
        List<String> direct;
        try (WireClient client = WireClient.connect(fixture.cluster().primary().port(), directUser, directUser,
                ProxyFixture.DATABASE)) {
            direct = heldNameInAbortedTransaction(client);
        }
        List<String> throughPgroute;
        try (WireClient client = WireClient.connect(fixture.port(), "trusted", ProxyFixture.DATABASE)) {
            throughPgroute = heldNameInAbortedTransaction(client);
        }
        // PostgreSQL refuses any Parse but COMMIT's and ROLLBACK's in a failed transaction before it looks at the name
        assertThat(direct).containsExactly("1Z", "CZ", "E22012Z", "E25P02Z", "CZ", "2DCZ 1");
        assertThat(throughPgroute).isEqualTo(direct);
    }

    /** Re-Parse of a held name after an error in a transaction: each reply's types, with its SQLSTATE after an E. */
    private static List<String> heldNameInAbortedTransaction(WireClient client) throws Exception {
        List<String> result = new java.util.ArrayList<>();
        result.add(WireClient.types(run(client, new Parse("a", "SELECT 1 AS held", new int[0]), Sync.INSTANCE)));
        result.add(WireClient.types(run(client, new Query("BEGIN"))));
        for (Object[] request : new Object[][] {{new Query("SELECT 1/0")},
            {new Parse("a", "SELECT 2 AS again", new int[0]), Sync.INSTANCE}}) {
            List<Message> reply = run(client, request);
            result.add(WireClient.types(reply).replace("E", "E" + reply.get(0).sqlState()));
        }
        result.add(WireClient.types(run(client, new Query("ROLLBACK"))));
        List<Message> reply = run(client, bind("a"), new Execute("", 0), Sync.INSTANCE);
        result.add(WireClient.types(reply) + " " + reply.get(1).firstValue());
        return result;
    }

    @Test
    void aParseSentRightBehindTheErrorThatAbortsTheTransactionGets25P02() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS parse_aborted (id int)");
        }
        String named = "SELECT 4 AS aborted_pipelined";
        String unnamed = "INSERT INTO parse_aborted VALUES (1)";
        try (WireClient client = WireClient.connect(fixture.port(), "trusted", "app")) {
            assertThat(WireClient.types(run(client, new Query("BEGIN")))).isEqualTo("CZ");
            assertThat(WireClient.types(run(client, new Parse("warm", named, new int[0]), bind("warm"),
                    new Execute("", 0), Sync.INSTANCE))).isEqualTo("12DCZ");
            for (int i = 0; i < 2; i++) {  // a text that repeats: its unnamed Parse could be answered by pgroute
                assertThat(WireClient.types(run(client, new Parse("", unnamed, new int[0]), bind(""),
                        new Execute("", 0), Sync.INSTANCE))).isEqualTo("12CZ");
            }

            // sent before the error came back: pgroute does not know yet that the transaction failed
            client.send(new Query("SELECT 1/0"), new Parse("a", named, new int[0]), Sync.INSTANCE,
                    new Parse("", unnamed, new int[0]), Sync.INSTANCE);
            assertThat(client.readUntilReady().get(0).sqlState()).isEqualTo("22012");
            for (String each : new String[] {"named", "unnamed"}) {
                List<Message> reply = client.readUntilReady();
                assertThat(WireClient.types(reply)).as(each).isEqualTo("EZ");
                assertThat(reply.get(0).sqlState()).as(each).isEqualTo("25P02");
            }

            assertThat(WireClient.types(run(client, new Query("ROLLBACK")))).isEqualTo("CZ");
            List<Message> reply = run(client, new Parse("a", named, new int[0]), bind("a"), new Execute("", 0),
                    Sync.INSTANCE);
            assertThat(WireClient.types(reply)).as("a was not defined by the refused Parse").isEqualTo("12DCZ");
        }
    }

    private static List<Message> run(WireClient client, Object... messages) throws Exception {
        client.send(messages);
        return client.readUntilReady();
    }

    /**
     * A statement whose plan went stale is closed and prepared again on its next use; when an error earlier in that
     * batch makes the server skip the Close and the Parse, the server keeps the old statement, and its next use must
     * close it again instead of getting 42P05 "already exists" on that connection for good (COMPAT V7).
     */
    @Test
    void aStaleStatementWhoseCloseTheServerSkippedIsClosedAgainNextTime() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement()) {
            s.execute("DROP TABLE IF EXISTS stale_close");
            s.execute("CREATE TABLE stale_close (id int)");
            s.execute("INSERT INTO stale_close VALUES (1)");
        }
        String sql = "/* pgroute: primary */ SELECT * FROM stale_close";
        try (io.pgroute.proxy.server.PgrouteServer server = ProxyFixture.server("stale-close.yaml",
                java.util.Map.of("pool", "  size: 1"));
             WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
            assertThat(WireClient.types(run(client, new Parse("s1", sql, new int[0]), bind("s1"),
                    new Execute("", 0), Sync.INSTANCE))).isEqualTo("12DCZ");
            try (Connection direct = fixture.connectDirect(); Statement s = direct.createStatement()) {
                s.execute("ALTER TABLE stale_close ADD COLUMN note text");
            }
            // in a transaction the server's 0A000 reaches the client, and pgroute learns the plan is stale
            run(client, new Query("/* pgroute: primary */ BEGIN"));
            List<Message> reply = run(client, bind("s1"), new Execute("", 0), Sync.INSTANCE);
            assertThat(reply.get(0).sqlState()).isEqualTo("0A000");
            run(client, new Query("ROLLBACK"));

            // the statement's Close and Parse come after an error in the same batch: the server skips both
            reply = run(client, new Parse("", "/* pgroute: primary */ SELECT 1 / (random() * 0)::int", new int[0]),
                    bind(""), new Execute("", 0), new Parse("s2", sql, new int[0]), bind("s2"), new Execute("", 0),
                    Sync.INSTANCE);
            assertThat(WireClient.types(reply)).isEqualTo("12EZ");

            reply = run(client, new Parse("s3", sql, new int[0]), bind("s3"), new Execute("", 0), Sync.INSTANCE);
            assertThat(WireClient.types(reply)).as("the statement in the table's new shape: %s", reply)
                    .isEqualTo("12DCZ");
        }
    }
}
