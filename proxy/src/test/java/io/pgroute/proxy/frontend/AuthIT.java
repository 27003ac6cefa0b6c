package io.pgroute.proxy.frontend;

import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Client authentication as proxy.yaml says (SCRAM-SHA-256, md5, trust) and the errors PostgreSQL itself gives for
 * a wrong password, an unknown user and an unknown database. The backend (LocalCluster) requires SCRAM, so every
 * successful login here also proves pgroute's SCRAM client.
 */
class AuthIT {

    private static ProxyFixture fixture;

    @BeforeAll
    static void start() {
        fixture = ProxyFixture.get();
    }

    @Test
    void acceptsScramWithTheRightPassword() throws SQLException {
        assertThat(currentUserVia("app", "app")).isEqualTo("app");
    }

    @Test
    void refusesScramWithAWrongPasswordWith28P01() {
        assertSqlState(() -> fixture.connect("app", "wrong", new Properties()), "28P01");
    }

    @Test
    void acceptsMd5WithTheRightPassword() throws SQLException {
        assertThat(currentUserVia("legacy", "legacy")).isEqualTo("app");
    }

    @Test
    void refusesMd5WithAWrongPasswordWith28P01() {
        assertSqlState(() -> fixture.connect("legacy", "app", new Properties()), "28P01");
    }

    @Test
    void acceptsTrustedUsersWithoutAPassword() throws SQLException {
        assertThat(currentUserVia("trusted", "")).isEqualTo("app");
    }

    @Test
    void refusesAnUnknownUserLikeAWrongPassword() {
        assertSqlState(() -> fixture.connect("nobody_here", "x", new Properties()), "28P01");
    }

    @Test
    void refusesAnUnknownDatabaseWith3D000() {
        assertSqlState(() -> DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + fixture.port() + "/no_such_db", "app", "app"), "3D000");
    }

    @Test
    void keepsServingAfterRefusals() throws SQLException {
        for (int i = 0; i < 5; i++) {
            String password = "wrong" + i;
            assertSqlState(() -> fixture.connect("app", password, new Properties()), "28P01");
        }
        assertThat(currentUserVia("app", "app")).isEqualTo("app");
    }

    private static String currentUserVia(String user, String password) throws SQLException {
        try (Connection c = fixture.connect(user, password, new Properties()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_user")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    private interface Connect {
        Connection open() throws SQLException;
    }

    private static void assertSqlState(Connect connect, String sqlState) {
        assertThatThrownBy(() -> connect.open().close())
                .isInstanceOf(SQLException.class)
                .extracting(e -> ((SQLException) e).getSQLState())
                .isEqualTo(sqlState);
    }
}
