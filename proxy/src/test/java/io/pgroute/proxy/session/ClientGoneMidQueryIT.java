package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Query;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client that goes away while its statement runs has it cancelled on the server: PostgreSQL itself would notice the
 * closed connection only when the statement is done and writes its answer, so a long query went on for nothing
 * (the pattern of an application that times out and retries, piling up abandoned queries). A client that goes away
 * inside a transaction, open or failed, leaves nothing of it to the next client of its server connection.
 */
class ClientGoneMidQueryIT {

    @Test
    void theStatementOfAClientThatWentAwayIsCancelled() throws Exception {
        String marker = "gone-mid-query-" + System.nanoTime();
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            client.send(new Query("/* pgroute: primary */ SELECT pg_sleep(60) /* " + marker + " */"));
            await("the statement runs").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> ProxyFixture.get().primaryBackendsWith(marker, true) == 1);
        }
        await("the statement is cancelled").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> ProxyFixture.get().primaryBackendsWith(marker, true) == 0);
    }

    /**
     * COMPAT T1: clients leave in a failed transaction (BEGIN; SELECT 1/0) or an open one, half of them with a
     * Terminate and half by dropping the socket, 200 times, on a pool of one connection per node. Another client's
     * statements all run, each in its own transaction (never 25P02, never inside someone else's BEGIN).
     */
    @Test
    void clientsGoneInsideATransactionLeaveNothingToTheNext() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("gone-in-transaction.yaml", Map.of("pool", "  size: 1"));
             Connection other = ProxyFixture.connect(server, "preferQueryMode", "simple");
             Statement s = other.createStatement()) {
            // in the simple protocol a statement run alone is its transaction's first: now() is its start time
            String check = "SELECT now() = statement_timestamp(), txid_current_if_assigned() IS NULL";
            try (Connection direct = ProxyFixture.get().connectDirect("preferQueryMode", "simple");
                 Statement d = direct.createStatement(); ResultSet rs = d.executeQuery(check)) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("directly").isTrue();
            }
            AtomicBoolean leaving = new AtomicBoolean(true);
            AtomicInteger checks = new AtomicInteger();
            List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread checker = new Thread(() -> {
                while (leaving.get()) {
                    try (ResultSet rs = s.executeQuery("/* pgroute: primary */ " + check)) {
                        rs.next();
                        if (!rs.getBoolean(1) || !rs.getBoolean(2)) {
                            failures.add("inside another client's transaction: " + rs.getBoolean(1) + " "
                                    + rs.getBoolean(2));
                        }
                        checks.incrementAndGet();
                    } catch (SQLException e) {
                        failures.add(e.getSQLState() + " " + e.getMessage());
                    }
                }
            }, "checker");
            checker.start();
            try {
                for (int i = 0; i < 200; i++) {
                    try (WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
                        boolean failed = i % 2 == 0;
                        client.send(new Query("/* pgroute: primary */ BEGIN; SELECT txid_current(); "
                                + (failed ? "SELECT 1/0" : "SELECT 1")));
                        List<WireClient.Message> answer;
                        try {
                            answer = client.readUntilReady();
                        } catch (java.io.IOException e) {
                            throw new AssertionError("leaver " + i + " got no answer; the other client: " + failures
                                    + " after " + checks + " statements", e);
                        }
                        assertThat(WireClient.types(answer)).as("leaver %d", i).endsWith(failed ? "EZ" : "CZ");
                        if (i % 4 < 2) {
                            client.abort();
                        }
                    }
                }
            } finally {
                leaving.set(false);
                checker.join(10_000);
            }
            assertThat(failures).isEmpty();
            assertThat(checks.get()).isPositive();
        }
    }
}
