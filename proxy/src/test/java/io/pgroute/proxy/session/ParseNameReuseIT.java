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
 * skipped and its implicit transaction rolled back, the original statement still usable (COMPAT V3, V4).
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
}
