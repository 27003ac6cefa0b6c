package io.pgroute.proxy.session;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Inside a transaction, messages a client sends without a Sync or Flush reach the server at once, as they would
 * without pgroute: PostgreSQL runs them and sends an error at once (it flushes errors), and a client may wait for it
 * before it sends its Sync. With the result cache on, pgroute held them until the Sync came, and such a client hung
 * (COMPAT E3).
 */
class UnsyncedInTransactionIT {

    private static PgrouteServer cached;

    @BeforeAll
    static void start() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        String cache = "  enabled: true\n  redis: " + cluster.redis().orElseThrow().uri() + "\n";
        cached = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(cluster, Map.of("cache", cache)),
                "unsynced.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (cached != null) {
            cached.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void anErrorBeforeTheSyncArrivesWithoutTheCache() throws Exception {
        errorArrivesBeforeTheSync(ProxyFixture.get().port());
    }

    @Test
    void anErrorBeforeTheSyncArrivesWithTheCache() throws Exception {
        errorArrivesBeforeTheSync(cached.port());
    }

    private static void errorArrivesBeforeTheSync(int port) throws Exception {
        try (WireClient client = WireClient.connect(port, "trusted", "app")) {
            client.send(new Query("BEGIN"));
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("CZ");
            client.send(new Parse("", "SELECT 1 / (random() * 0)::int", new int[0]),  // fails when it runs
                    new Bind("", "", new short[0], new byte[0][], new short[0]), new Execute("", 0));
            List<WireClient.Message> beforeSync = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {  // ParseComplete, BindComplete and the error, flushed with it
                    beforeSync.add(client.read(5_000));
                }
            } catch (java.net.SocketTimeoutException e) {
                throw new AssertionError("got only " + beforeSync, e);
            }
            assertThat(WireClient.types(beforeSync)).as("the server's answer before any Sync").isEqualTo("12E");
            assertThat(beforeSync.get(2).sqlState()).isEqualTo("22012");

            client.send(Sync.INSTANCE);
            List<WireClient.Message> rest = client.readUntilReady();
            assertThat(WireClient.types(rest)).isEqualTo("Z");
            assertThat(rest.get(0).body()[0]).as("in a failed transaction").isEqualTo((byte) 'E');
            client.send(new Query("ROLLBACK"));
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("CZ");
            client.send(new Query("SELECT 41 + 1"));
            List<WireClient.Message> after = client.readUntilReady();
            assertThat(after.get(1).firstValue()).isEqualTo("42");
        }
    }
}
