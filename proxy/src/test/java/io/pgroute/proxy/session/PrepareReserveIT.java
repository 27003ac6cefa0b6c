package io.pgroute.proxy.session;

import io.pgroute.config.ConfigLoader;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.session.WireClient.Message;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request that only prepares a statement no server has seen gets a server while every pooled connection is held
 * in an open transaction: the pool's reserve connection. A client that prepares synchronously while other
 * connections of its own thread hold the pool (COMPAT V12) no longer waits for the lease timeout.
 */
class PrepareReserveIT {

    @Test
    void aPrepareGetsTheReserveWhileThePoolIsHeldAndTheStatementWorksAfterwards() throws Exception {
        String sql = "/* " + UUID.randomUUID() + " */ SELECT 17 AS reserved";
        ProxyFixture fixture = ProxyFixture.get();
        String yaml = "listen: { host: 127.0.0.1, port: 0 }\n"
                + "users:\n  app: { password: app }\n  trusted: { auth: trust }\n"
                + "databases:\n  app:\n"
                + "    primary: { host: 127.0.0.1, port: " + fixture.cluster().primary().port() + " }\n"
                + "    dbname: app\n    user: app\n    password: app\n"
                + "pool: { size: 1, timeout: 8s }\n";  // no replicas: one connection for everything
        try (PgrouteServer server = new PgrouteServer(ConfigLoader.parse(yaml, "prepare-reserve.yaml",
                System::getenv), 1).start();
             WireClient holder = WireClient.connect(server.port(), "trusted", "app");
             WireClient preparer = WireClient.connect(server.port(), "trusted", "app")) {
            // the same startup parameters, so the same pool: its only connection is now held by an open transaction
            holder.send(new Query("BEGIN"));
            assertThat(WireClient.types(holder.readUntilReady())).isEqualTo("CZ");
            holder.send(new Query("SELECT inet_server_port()"));
            assertThat(WireClient.types(holder.readUntilReady())).isEqualTo("TDCZ");
            long start = System.nanoTime();
            preparer.send(new Parse("fresh", sql, new int[0]), Describe.statement("fresh"), Sync.INSTANCE);
            List<Message> answer = new ArrayList<>();
            do {
                answer.add(preparer.read(4_000));  // the pool would answer 53300 after 8 s
            } while (answer.get(answer.size() - 1).type() != 'Z');
            assertThat(WireClient.types(answer)).isEqualTo("1tTZ");
            assertThat((System.nanoTime() - start) / 1_000_000).as("ms until prepared").isLessThan(4_000);

            holder.send(new Query("COMMIT"));
            assertThat(WireClient.types(holder.readUntilReady())).isEqualTo("CZ");
            preparer.send(new Bind("", "fresh", new short[0], new byte[0][], new short[0]), new Execute("", 0),
                    Sync.INSTANCE);
            List<Message> rows = preparer.readUntilReady();
            assertThat(WireClient.types(rows)).isEqualTo("2DCZ");
            assertThat(rows.get(1).firstValue()).isEqualTo("17");
        }
    }
}
