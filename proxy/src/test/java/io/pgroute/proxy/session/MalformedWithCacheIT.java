package io.pgroute.proxy.session;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With the result cache on, pgroute inspects extended-protocol batches before sending them: a malformed one must
 * still get PostgreSQL's own answer (ERROR 08P01, then skip to Sync), and the session goes on.
 */
class MalformedWithCacheIT {

    private static PgrouteServer proxy;

    @BeforeAll
    static void start() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        String cache = "  enabled: true\n  redis: " + cluster.redis().orElseThrow().uri() + "\n";
        proxy = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(cluster, Map.of("cache", cache)),
                "malformed.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.stop(Duration.ofSeconds(2));
        }
    }

    /** A Bind whose parameter count promises a value that is not there. */
    private static byte[] truncatedBind() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(0);  // portal ""
        body.write(0);  // statement ""
        body.writeBytes(new byte[] {0, 0});  // no parameter formats
        body.writeBytes(new byte[] {0, 1});  // one parameter value… which never comes
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write('B');
        int length = body.size() + 4;
        frame.writeBytes(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8),
            (byte) length});
        frame.writeBytes(body.toByteArray());
        return frame.toByteArray();
    }

    @Test
    void aMalformedBindGetsPostgresqlsErrorAndTheSessionGoesOn() throws Exception {
        try (WireClient client = WireClient.connect(proxy.port(), "trusted", "app")) {
            client.send(new io.pgroute.protocol.frontend.Parse("", "SELECT 1 FROM products", new int[0]));
            client.sendRaw(truncatedBind());
            client.send(Sync.INSTANCE);
            List<WireClient.Message> answer = client.readUntilReady();
            assertThat(answer).anySatisfy(each -> {
                assertThat(each.type()).isEqualTo('E');
                assertThat(each.sqlState()).isEqualTo("08P01");
            });
            assertThat(answer.get(answer.size() - 1).type()).isEqualTo('Z');
            client.send(new Query("SELECT 'still here'"));
            List<WireClient.Message> next = client.readUntilReady();
            assertThat(next).anySatisfy(each -> {
                assertThat(each.type()).isEqualTo('D');
                assertThat(each.firstValue()).isEqualTo("still here");
            });
        }
    }
}
