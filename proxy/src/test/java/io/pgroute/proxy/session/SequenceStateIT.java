package io.pgroute.proxy.session;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code currval()}/{@code lastval()} after an autocommit INSERT (COMPAT T10, the PHP PDO {@code lastInsertId}
 * pattern): the client gets its own id, or PostgreSQL's 55000 for a session that has not called nextval, never
 * another client's id. One event loop and a pool of one connection per node: the two clients take turns on one
 * primary connection.
 */
class SequenceStateIT {

    @Test
    void currvalAndLastvalNeverReturnAnotherClientsId() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("sequences.yaml", Map.of("pool", "  size: 1"));
             Connection a = ProxyFixture.connect(server);
             Connection b = ProxyFixture.connect(server);
             Statement sa = a.createStatement();
             Statement sb = b.createStatement()) {
            sa.execute("DROP TABLE IF EXISTS seq_owner");
            sa.execute("CREATE TABLE seq_owner (id serial PRIMARY KEY, who text)");

            long mine = insert(sa, "a");
            assertThat(value(sa, "SELECT currval('seq_owner_id_seq')")).as("nobody used the connection since")
                    .isEqualTo(String.valueOf(mine));
            assertThat(value(sa, "SELECT lastval()")).isEqualTo(String.valueOf(mine));

            for (String probe : new String[] {"SELECT currval('seq_owner_id_seq')", "SELECT lastval()"}) {
                long own = insert(sa, "a");
                long other = insert(sb, "b");  // b's nextval on the connection a used
                String answer = value(sa, probe);
                assertThat(answer).as("%s after b's insert: a's id %d or 55000, never b's %d", probe, own, other)
                        .isIn(String.valueOf(own), "error 55000");
                assertThat(answer).isEqualTo("error 55000");
            }

            a.setAutoCommit(false);  // inside a transaction currval is the session's own, as always
            long inTransaction = insert(sa, "a");
            assertThat(value(sa, "SELECT currval('seq_owner_id_seq')")).isEqualTo(String.valueOf(inTransaction));
            a.commit();
            a.setAutoCommit(true);

            try (PreparedStatement ps = a.prepareStatement("SELECT who FROM seq_owner WHERE id = ?")) {
                ps.setLong(1, mine);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("a");
                }
            }
        }
    }

    @Test
    void aStatementBetweenTheInsertAndCurrvalDoesNotMakeAnotherClientsIdLookLikeMine() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("sequences-between.yaml", Map.of("pool", "  size: 1"));
             Connection a = ProxyFixture.connect(server);
             Connection b = ProxyFixture.connect(server);
             Statement sa = a.createStatement();
             Statement sb = b.createStatement()) {
            sa.execute("DROP TABLE IF EXISTS seq_between");
            sa.execute("CREATE TABLE seq_between (id serial PRIMARY KEY, who text, n int DEFAULT 0)");

            for (String probe : new String[] {"SELECT currval('seq_between_id_seq')", "SELECT lastval()"}) {
                long own = insert(sa, "seq_between", "a");
                long other = insert(sb, "seq_between", "b");  // b's nextval on the one connection
                // a takes that connection back for a statement that calls no nextval: the connection holds b's id
                sa.executeUpdate("UPDATE seq_between SET n = n + 1 WHERE id = " + own);
                String answer = value(sa, probe);
                assertThat(answer).as("%s: a's id %d (PostgreSQL) or 55000, never b's %d", probe, own, other)
                        .isIn(String.valueOf(own), "error 55000");
            }

            long own = insert(sa, "seq_between", "a");  // and the common case still answers
            assertThat(value(sa, "SELECT currval('seq_between_id_seq')")).isEqualTo(String.valueOf(own));
            sa.executeUpdate("UPDATE seq_between SET n = n + 1 WHERE id = " + own);
            assertThat(value(sa, "SELECT lastval()")).as("a's connection, nobody else used it").isEqualTo(
                    String.valueOf(own));
        }
    }

    private static long insert(Statement s, String who) throws SQLException {
        return insert(s, "seq_owner", who);
    }

    private static long insert(Statement s, String table, String who) throws SQLException {
        try (ResultSet rs = s.executeQuery("INSERT INTO " + table + " (who) VALUES ('" + who + "') RETURNING id")) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }

    /** The single value {@code sql} returns, or "error SQLSTATE". */
    private static String value(Statement s, String sql) {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        } catch (SQLException e) {
            return "error " + e.getSQLState();
        }
    }

}
