package io.pgroute.proxy.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code users.<name>.max_clients} and {@code databases.<name>.max_clients}: PostgreSQL's per-role and per-database
 * connection limits, for pgroute's clients. One more login gets PostgreSQL's 53300 message; a connection that closed
 * frees its place; other users and databases are not affected.
 */
class ClientLimitsIT {

    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        String yaml = ProxyFixture.yaml(ProxyFixture.get().cluster(), Map.of())
                .replace("users:\n", "users:\n  capped: { password: capped, max_clients: 2 }\n")
                .replace("databases:\n", "databases:\n  small:\n    primary: { host: 127.0.0.1, port: "
                        + ProxyFixture.get().cluster().primary().port() + " }\n    dbname: app\n    user: app\n"
                        + "    password: app\n    max_clients: 1\n");
        server = new PgrouteServer(ConfigLoader.parse(yaml, "limits.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void aUserPastItsLimitGets53300UntilOneOfItsConnectionsCloses() throws SQLException {
        try (Connection first = ProxyFixture.connectAs(server, "app", "capped", "capped")) {
            Connection second = ProxyFixture.connectAs(server, "app", "capped", "capped");
            assertRefused(() -> ProxyFixture.connectAs(server, "app", "capped", "capped"),
                    "too many connections for role \"capped\"");
            try (Connection other = ProxyFixture.connectAs(server, "app", "app", "app")) {
                assertThat(other.isValid(5)).as("another user").isTrue();
            }
            second.close();
            Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                try (Connection again = ProxyFixture.connectAs(server, "app", "capped", "capped")) {
                    return again.isValid(5);
                }
            });
            assertThat(first.isValid(5)).isTrue();
        }
    }

    @Test
    void aDatabasePastItsLimitGets53300() throws SQLException {
        try (Connection first = ProxyFixture.connectAs(server, "small", "app", "app")) {
            assertRefused(() -> ProxyFixture.connectAs(server, "small", "app", "app"),
                    "too many connections for database \"small\"");
            try (Connection other = ProxyFixture.connectAs(server, "app", "app", "app")) {
                assertThat(other.isValid(5)).as("another database").isTrue();
            }
            assertThat(first.isValid(5)).isTrue();
        }
    }

    private interface Connect {
        Connection open() throws SQLException;
    }

    private static void assertRefused(Connect connect, String message) {
        assertThatThrownBy(() -> connect.open().close()).isInstanceOfSatisfying(SQLException.class, e -> {
            assertThat(e.getSQLState()).isEqualTo("53300");
            assertThat(e.getMessage()).contains(message);
        });
    }
}
