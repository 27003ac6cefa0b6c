package io.pgroute.proxy.session;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@code pool.idle_transaction_timeout} (COMPAT T4): a client that leaves a transaction open and goes quiet loses
 * it, and the server connection it held serves others; a transaction that keeps working is never cut, however long
 * it runs. One event loop and a pool of one connection per node.
 */
class IdleInTransactionIT {

    private static final String ON_PRIMARY = "/* pgroute: primary */ ";

    @Test
    void aClientIdleInATransactionIsDisconnectedAndItsConnectionServesTheNextClient() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("idle-tx.yaml",
                Map.of("pool", "  size: 1\n  timeout: 10s\n  idle_transaction_timeout: 1s"));
             Connection idle = ProxyFixture.connect(server);
             Connection waiting = ProxyFixture.connect(server)) {
            idle.setAutoCommit(false);
            try (Statement s = idle.createStatement()) {
                s.execute(ON_PRIMARY + "SELECT 1");  // BEGIN: the only primary connection is now idle's
            }
            long start = System.nanoTime();
            CompletableFuture<String> other = CompletableFuture.supplyAsync(() -> {
                try (Statement s = waiting.createStatement();
                     ResultSet rs = s.executeQuery(ON_PRIMARY + "SELECT 'served'")) {
                    rs.next();
                    return rs.getString(1);
                } catch (SQLException e) {
                    return "error " + e.getSQLState();
                }
            });
            assertThat(other.get(20, TimeUnit.SECONDS)).as("the client waiting for the connection").isEqualTo("served");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("it waited for the timeout")
                    .isGreaterThanOrEqualTo(800);
            SQLException gone = catchThrowableOfType(() -> {
                try (Statement s = idle.createStatement()) {
                    s.execute(ON_PRIMARY + "SELECT 2");
                }
            }, SQLException.class);
            assertThat((Throwable) gone).as("the idle client's next statement").isNotNull();
            assertThat(gone.getSQLState()).as(gone.getMessage()).isEqualTo("25P03");
            assertThat(idle.isValid(2)).isFalse();
        }
    }

    @Test
    void aTransactionThatKeepsWorkingIsNotCut() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("busy-tx.yaml",
                Map.of("pool", "  size: 1\n  idle_transaction_timeout: 500ms"));
             Connection busy = ProxyFixture.connect(server)) {
            busy.setAutoCommit(false);
            try (Statement s = busy.createStatement()) {
                for (int i = 0; i < 3; i++) {
                    s.execute(ON_PRIMARY + "SELECT pg_sleep(0.8)");  // 2.4 s in all, never 500 ms idle
                }
                try (ResultSet rs = s.executeQuery(ON_PRIMARY + "SELECT 'still here'")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("still here");
                }
            }
            busy.commit();
        }
    }

}
