package io.pgroute.proxy.session;

import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** PAUSE holds new statements of a database while open transactions run to their end; RESUME lets them run. */
class PauseIT {

    private static PgrouteServer proxy;

    @BeforeAll
    static void start() throws Exception {
        proxy = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(ProxyFixture.get().cluster(), Map.of()),
                "pause.yaml", System::getenv), 2).start();
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.sessions().resume("app");
            proxy.stop(Duration.ofSeconds(2));
        }
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app", "app", "app");
    }

    private static int query(Connection c, String sql) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void newStatementsWaitWhileOpenTransactionsFinish() throws Exception {
        try (Connection inTransaction = connect(); Connection waiter = connect()) {
            inTransaction.setAutoCommit(false);
            assertThat(query(inTransaction, "SELECT 1")).isEqualTo(1);
            assertThat(proxy.sessions().pause("app")).isTrue();
            try {
                CompletableFuture<Integer> held = CompletableFuture.supplyAsync(() -> query(waiter, "SELECT 2"));
                assertThatThrownBy(() -> held.get(700, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
                assertThat(query(inTransaction, "SELECT 3")).as("the open transaction goes on").isEqualTo(3);
                inTransaction.commit();
                CompletableFuture<Integer> next = CompletableFuture.supplyAsync(() -> query(inTransaction,
                        "SELECT 4"));
                assertThatThrownBy(() -> next.get(500, TimeUnit.MILLISECONDS)).as("a new transaction waits")
                        .isInstanceOf(TimeoutException.class);
                assertThat(proxy.sessions().resume("app")).isTrue();
                assertThat(held.get(5, TimeUnit.SECONDS)).isEqualTo(2);
                assertThat(next.get(5, TimeUnit.SECONDS)).isEqualTo(4);
            } finally {
                proxy.sessions().resume("app");
            }
        }
    }
}
