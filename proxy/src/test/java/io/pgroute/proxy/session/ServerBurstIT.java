package io.pgroute.proxy.session;

import io.pgroute.config.ConfigLoader;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import io.pgroute.proxy.testing.TcpRelay;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client's extended-protocol request that arrives in one read reaches the server in one send, also when the
 * connection is leased at its Bind (pgroute without replicas routes a unit before its Sync): a TCP relay between
 * pgroute and the primary records what each of its reads from pgroute holds.
 */
class ServerBurstIT {

    private static final String MARKER = "SELECT 7 AS server_burst_marker";

    @Test
    void aRequestLeasedForBeforeItsSyncGoesToTheServerInOneSend() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        try (TcpRelay relay = new TcpRelay(fixture.cluster().primary().port())) {
            String yaml = "listen: { host: 127.0.0.1, port: 0 }\n"
                    + "users:\n  trusted: { auth: trust }\n"
                    + "databases:\n  app:\n"
                    + "    primary: { host: 127.0.0.1, port: " + relay.port() + " }\n"
                    + "    dbname: app\n    user: app\n    password: app\n"
                    + "pool:\n  size: 1\n";
            try (PgrouteServer server = new PgrouteServer(ConfigLoader.parse(yaml, "server-burst.yaml",
                    System::getenv), 1).start();
                 WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
                for (int round = 0; round < 4; round++) {
                    // a new text each round: a repeated one is bound by pgroute's name, without its Parse
                    client.send(new Parse("", MARKER + " /* round " + round + " */", new int[0]),
                            new Bind("", "", new short[0], new byte[0][], new short[0]), Describe.portal(""),
                            new Execute("", 0), Sync.INSTANCE);
                    assertThat(WireClient.types(client.readUntilReady())).isEqualTo("12TDCZ");
                }
            }
            List<String> requests = relay.readsToTargetsHolding(MARKER);
            assertThat(requests).hasSize(4);
            for (String each : requests.subList(1, 4)) {  // the first lease waited for a new connection
                assertThat(each).as("Parse to Sync in one read").startsWith("P").endsWith("S\0\0\0\4");
            }
        }
    }
}
