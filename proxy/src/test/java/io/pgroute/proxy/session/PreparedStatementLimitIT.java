package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Close;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.protocol.backend.ErrorResponse;
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
 * A client that prepares statements without ever closing them (dynamic SQL prepared by an ORM, a driver without a
 * statement cache) is held to {@code limits.max_prepared_bytes} of them in pgroute (COMPAT L4): past it, a Parse gets
 * 54000 and the client goes on; closing statements makes room again. Unbounded, one such client filled the proxy's
 * heap, and the JVM's exit on OutOfMemoryError cut off every client.
 */
class PreparedStatementLimitIT {

    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ProxyFixture.server("prepared-limit.yaml", Map.of("limits",
                "  max_frame_bytes: 16MiB\n  shutdown_timeout: 5s\n  max_prepared_bytes: 64kB"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
    }

    private static Parse statement(int number) {
        // about 1 kB of text each: 64 kB hold about 50
        return new Parse("s" + number, "SELECT " + number + " AS n, '" + "p".repeat(1000) + "'::text AS pad",
                new int[0]);
    }

    @Test
    void aClientPastItsStatementsLimitIsRefusedAndGoesOn() throws Exception {
        try (WireClient client = WireClient.connect(server.port(), "trusted", "app");
             WireClient other = WireClient.connect(server.port(), "trusted", "app")) {
            int prepared = 0;
            ErrorResponse refused = null;
            while (refused == null && prepared < 1000) {
                client.send(statement(prepared), Sync.INSTANCE);
                List<WireClient.Message> answer = client.readUntilReady();
                if (WireClient.types(answer).equals("1Z")) {
                    prepared++;
                } else {
                    assertThat(WireClient.types(answer)).isEqualTo("EZ");
                    refused = answer.get(0).decode(ErrorResponse::decode);
                }
            }
            assertThat(refused).as("refused before 1000 statements of 1 kB").isNotNull();
            assertThat(refused.sqlState()).isEqualTo("54000");
            assertThat(refused.message()).contains("limits.max_prepared_bytes");
            assertThat(prepared).isBetween(40, 64);

            // the client goes on: its statements run, the refused one does not exist
            client.send(new Bind("", "s0", new short[0], new byte[0][], new short[0]), new Execute("", 0),
                    Sync.INSTANCE);
            List<WireClient.Message> rows = client.readUntilReady();
            assertThat(WireClient.types(rows)).isEqualTo("2DCZ");
            assertThat(rows.get(1).firstValue()).isEqualTo("0");
            client.send(new Bind("", "s" + prepared, new short[0], new byte[0][], new short[0]), new Execute("", 0),
                    Sync.INSTANCE);
            List<WireClient.Message> missing = client.readUntilReady();
            assertThat(missing.get(0).sqlState()).as("never prepared").isEqualTo("26000");

            // closing statements makes room
            for (int i = 0; i < 5; i++) {
                client.send(Close.statement("s" + i));
            }
            client.send(Sync.INSTANCE);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("33333Z");
            client.send(statement(prepared), Sync.INSTANCE);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("1Z");

            // the unnamed statement is never refused, and other clients are not held to this one's statements
            client.send(new Parse("", "SELECT 'unnamed'", new int[0]), new Bind("", "", new short[0], new byte[0][],
                    new short[0]), new Execute("", 0), Sync.INSTANCE);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("12DCZ");
            other.send(statement(0), Sync.INSTANCE);
            assertThat(WireClient.types(other.readUntilReady())).isEqualTo("1Z");
            other.send(new Query("SELECT 1"));
            assertThat(WireClient.types(other.readUntilReady())).isEqualTo("TDCZ");
        }
    }
}
