package io.pgroute.proxy.routing;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Read-your-writes when commits are asynchronous ({@code synchronous_commit = off}): such a commit is visible, and
 * acknowledged, before the primary has written its WAL record, so a watermark taken from the WAL written would let a
 * replica that has not received the commit answer the read after it. Here the role's default makes every commit
 * asynchronous ({@code ALTER ROLE … SET}, which pgroute reads in a session of the database's role; a session's own
 * {@code SET} is RoutingIT's). Every read must show the row just written, and replicas must still answer some reads
 * (after a synchronous commit on another connection wrote the WAL).
 */
class AsynchronousCommitIT {

    private static final String ROLE = "async_writer";
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private static PgrouteServer server;
    private static int primaryPort;

    @BeforeAll
    static void start() throws Exception {
        primaryPort = ProxyFixture.get().cluster().primary().port();
        ProxyFixture.get().cluster().execute("app",
                "CREATE TABLE IF NOT EXISTS async_rows (id bigserial PRIMARY KEY, note text)",
                "GRANT SELECT, UPDATE ON async_rows TO app");  // the direct connection's UPDATE
        server = ProxyFixture.startAsRole(ROLE, "async", Map.of("routing", "  consistency: causal"),
                "GRANT SELECT, INSERT, UPDATE ON async_rows TO " + ROLE,
                "GRANT USAGE ON SEQUENCE async_rows_id_seq TO " + ROLE,
                "ALTER ROLE " + ROLE + " SET synchronous_commit = off");
        Awaitility.await().atMost(DEADLINE).until(() -> server.routing("app").asynchronousByDefault(ROLE)
                && server.routing("app").monitor().state().replicas().stream().allMatch(NodeState::eligible));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void readsItsWritesWhenTheRolesCommitsAreAsynchronous() throws SQLException {
        try (Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
            assertReadsOwnWrites(s, "async_rows", 200, primaryPort);
        }
    }

    /**
     * Inserts {@code rounds} rows into {@code table} (an {@code id bigserial} and a {@code note text}) through
     * {@code s} and reads each back at once: every read must show its row, and replicas must answer some of them.
     * Every other round, a synchronous commit on a direct connection first writes the WAL so far (so that replicas
     * can have the row) and the read waits past the node monitor's next sample.
     */
    static void assertReadsOwnWrites(Statement s, String table, int rounds, int primaryPort) throws SQLException {
        assertReadsOwnWrites(s, table, rounds, primaryPort, null);
    }

    /** The same, each insert in a transaction that runs {@code first} first, when not null. */
    static void assertReadsOwnWrites(Statement s, String table, int rounds, int primaryPort, String first)
            throws SQLException {
        int replicaReads = 0;
        try (Connection direct = ProxyFixture.get().connectDirect(); Statement flush = direct.createStatement()) {
            for (int i = 0; i < rounds; i++) {
                long id;
                if (first != null) {
                    s.execute("BEGIN");
                    s.execute(first);
                }
                try (ResultSet rs = s.executeQuery("INSERT INTO " + table + " (note) VALUES ('r" + i
                        + "') RETURNING id")) {
                    rs.next();
                    id = rs.getLong(1);
                }
                if (first != null) {
                    s.execute("COMMIT");
                }
                if (i % 2 == 1) {
                    flush.execute("UPDATE " + table + " SET note = note WHERE id = " + id);  // writes the WAL
                }
                sleep(i % 2 == 1 ? 25 : 5);
                try (ResultSet rs = s.executeQuery("SELECT note, inet_server_port() FROM " + table + " WHERE id = "
                        + id)) {
                    assertThat(rs.next()).as("row %d read right after its commit", id).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("r" + i);
                    replicaReads += rs.getInt(2) == primaryPort ? 0 : 1;
                }
            }
        }
        assertThat(replicaReads).as("reads answered by a replica").isPositive();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
