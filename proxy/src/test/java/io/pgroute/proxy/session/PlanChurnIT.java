package io.pgroute.proxy.session;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * COMPAT E12 with the client's own named statements: pgjdbc with {@code prepareThreshold=1} and autocommit off runs
 * transactions of three prepared statements from many threads over a pool of three server connections with
 * replicas, while another client adds and drops a column of the table they read every 150 ms. PostgreSQL answers some
 * of them 0A000 "cached plan must not change result type", as it would directly (and pgjdbc's transaction then
 * fails with 25P02 until it rolls back). What must never happen is what a misaligned reply queue gives: a pgjdbc
 * protocol error ("Expected command status…", "Received resultset tuples, but no field structure", a connection
 * error), a reply meant for another client, or a committed write lost.
 */
class PlanChurnIT {

    /** SQLSTATEs PostgreSQL itself gives these transactions while their table changes shape. */
    private static final Set<String> EXPECTED = Set.of("0A000", "25P02", "40P01");
    private static final int THREADS = 12;
    private static final int TRANSACTIONS = 150;

    private static ProxyFixture fixture;
    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        fixture = ProxyFixture.get();
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS churn_rows");
            s.execute("CREATE TABLE churn_rows (id int PRIMARY KEY, a int NOT NULL DEFAULT 0)");
            s.execute("INSERT INTO churn_rows SELECT g, 0 FROM generate_series(1, " + THREADS + ") g");
        }
        server = ProxyFixture.server("plan-churn.yaml", Map.of("pool", "  size: 3"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void namedStatementsOverAChangingTableNeverDesynchronizeTheProtocol() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(THREADS + 1);
        AtomicBoolean running = new AtomicBoolean(true);
        try {
            CompletableFuture<Integer> changes = CompletableFuture.supplyAsync(() -> {
                int made = 0;
                try (Connection c = fixture.connectDirect(); Statement each = c.createStatement()) {
                    each.execute("SET lock_timeout = '2s'");
                    while (running.get()) {
                        try {
                            each.execute(made % 2 == 0 ? "ALTER TABLE churn_rows ADD COLUMN b int"
                                    : "ALTER TABLE churn_rows DROP COLUMN b");
                            made++;
                        } catch (SQLException lockTimeout) {
                            // the clients' transactions held the table for 2 s: try again
                        }
                        Thread.sleep(150);
                    }
                } catch (SQLException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return made;
            }, threads);
            List<CompletableFuture<Outcome>> clients = new ArrayList<>();
            for (int t = 1; t <= THREADS; t++) {
                int id = t;
                clients.add(CompletableFuture.supplyAsync(() -> client(id), threads));
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (CompletableFuture<Outcome> each : clients) {
                outcomes.add(each.get(180, TimeUnit.SECONDS));
            }
            running.set(false);
            assertThat(changes.get(30, TimeUnit.SECONDS)).as("shape changes").isGreaterThan(4);

            List<String> unexpected = new ArrayList<>();
            int failedTransactions = 0;
            for (Outcome each : outcomes) {
                unexpected.addAll(each.unexpected);
                failedTransactions += each.failed;
            }
            assertThat(unexpected).as("errors PostgreSQL would not give").isEmpty();
            try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
                for (Outcome each : outcomes) {
                    try (ResultSet rs = s.executeQuery("SELECT a FROM churn_rows WHERE id = " + each.id)) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getInt(1)).as("client %d: its committed increments", each.id)
                                .isEqualTo(each.committed);
                    }
                }
            }
            assertThat(outcomes.stream().mapToInt(each -> each.committed).sum())
                    .as("transactions committed (%d failed)", failedTransactions).isGreaterThan(THREADS * 10);
            assertThat(failedTransactions).as("transactions that got 0A000: the path under test ran").isPositive();
        } finally {
            running.set(false);
            threads.shutdownNow();
            threads.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    /** What one client saw: its commits, its failed transactions, and any error PostgreSQL would not give. */
    private static final class Outcome {
        private final int id;
        private int committed;
        private int failed;
        private final List<String> unexpected = new ArrayList<>();

        private Outcome(int id) {
            this.id = id;
        }
    }

    /**
     * {@link #TRANSACTIONS} transactions: read the client's row, add one to it, read it back; commit, or roll back on
     * an expected error. The row is the client's alone, so its final value is the number of commits.
     */
    private static Outcome client(int id) {
        Outcome outcome = new Outcome(id);
        try (Connection c = ProxyFixture.connect(server, "prepareThreshold", "1")) {
            c.setAutoCommit(false);
            try (PreparedStatement read = c.prepareStatement("SELECT * FROM churn_rows WHERE id = ?");
                 PreparedStatement add = c.prepareStatement("UPDATE churn_rows SET a = a + 1 WHERE id = ?");
                 PreparedStatement check = c.prepareStatement("SELECT a FROM churn_rows WHERE id = ?")) {
                int expected = 0;
                for (int i = 0; i < TRANSACTIONS; i++) {
                    try {
                        read.setInt(1, id);
                        try (ResultSet rs = read.executeQuery()) {
                            if (!rs.next() || rs.getInt("id") != id) {
                                outcome.unexpected.add("client " + id + ": another row or none");
                            }
                        }
                        add.setInt(1, id);
                        if (add.executeUpdate() != 1) {
                            outcome.unexpected.add("client " + id + ": update count");
                        }
                        check.setInt(1, id);
                        try (ResultSet rs = check.executeQuery()) {
                            if (!rs.next() || rs.getInt(1) != expected + 1) {
                                outcome.unexpected.add("client " + id + ": read back " + (rs.getRow() > 0
                                        ? rs.getInt(1) : "nothing") + ", expected " + (expected + 1));
                            }
                        }
                        c.commit();
                        expected++;
                        outcome.committed++;
                    } catch (SQLException e) {
                        if (!EXPECTED.contains(e.getSQLState())) {
                            outcome.unexpected.add("client " + id + ": " + e.getSQLState() + " " + e.getMessage());
                        }
                        outcome.failed++;
                        c.rollback();
                    }
                }
            }
        } catch (SQLException e) {
            outcome.unexpected.add("client " + id + ": " + e.getSQLState() + " " + e.getMessage());
        }
        return outcome;
    }
}
