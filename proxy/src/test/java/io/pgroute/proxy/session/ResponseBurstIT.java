package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Close;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An extended-protocol request whose Parse pgroute answers itself (the server has the statement already) gets its
 * whole answer in one send, as from PostgreSQL: the ParseComplete waits for the server's part instead of waking the
 * client on its own first.
 */
class ResponseBurstIT {

    @Test
    void aParseAnsweredByPgrouteGoesOutWithTheServersAnswer() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        String sql = "/* pgroute: primary */ SELECT pg_sleep(0.05), 42 AS answer";
        try (WireClient client = WireClient.connect(fixture.port(), "trusted", "app")) {
            client.send(new Parse("burst", sql, new int[0]), Sync.INSTANCE);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("1Z");
            for (int round = 0; round < 3; round++) {
                client.send(Close.statement("burst"), Sync.INSTANCE);
                assertThat(WireClient.types(client.readUntilReady())).isEqualTo("3Z");
                // the server still has the statement under pgroute's name: pgroute answers this Parse itself
                client.send(new Parse("burst", sql, new int[0]),
                        new Bind("", "burst", new short[0], new byte[0][], new short[0]), Describe.portal(""),
                        new Execute("", 0), Sync.INSTANCE);
                byte[] first = client.readOnce(10_000);
                assertThat((char) first[0]).isEqualTo('1');
                assertThat(first.length).as("round %d: ParseComplete alone in the first send", round)
                        .isGreaterThan(5);
                assertThat(first[first.length - 6]).as("the first send ends with ReadyForQuery").isEqualTo((byte) 'Z');
            }
        }
    }

    @Test
    void aWholeAnswerPgrouteGivesItselfGoesOutAtOnceAheadOfASlowNextRequest() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        try (WireClient client = WireClient.connect(fixture.port(), "trusted", "app")) {
            long start = System.nanoTime();
            // the empty query is answered by pgroute; the next one keeps a server busy for two seconds
            client.send(new Query(""), new Query("/* pgroute: primary */ SELECT pg_sleep(2)"));
            byte[] first = client.readOnce(10_000);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(new String(first, 0, 1, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("I");
            assertThat(millis).as("ms until the empty query's answer").isLessThan(1_500);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("TDCZ");
        }
    }
}
