package io.pgroute.proxy.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Clients that SET different search_paths prepare the same text over different tables: they must not share one
 * server statement, whose plan PostgreSQL would refuse (0A000 "cached plan must not change result type"; COMPAT V2).
 */
class SearchPathStatementsIT {

    @Test
    void theSameTextUnderAnotherSearchPathIsAnotherStatement() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS sp_a");
            s.execute("CREATE SCHEMA IF NOT EXISTS sp_b");
            s.execute("DROP TABLE IF EXISTS sp_a.sp_items, sp_b.sp_items");
            s.execute("CREATE TABLE sp_a.sp_items (n int)");
            s.execute("CREATE TABLE sp_b.sp_items (label text, n int)");
            s.execute("INSERT INTO sp_a.sp_items VALUES (1)");
            s.execute("INSERT INTO sp_b.sp_items VALUES ('b', 2)");
        }
        fixture.cluster().awaitReplication(java.time.Duration.ofSeconds(10));
        try (PgrouteServer server = ProxyFixture.server("search-path.yaml", Map.of("pool", "  size: 1"))) {
            String url = "jdbc:postgresql://127.0.0.1:" + server.port() + "/app";
            Properties props = new Properties();
            props.setProperty("user", "app");
            props.setProperty("password", "app");
            props.setProperty("prepareThreshold", "1");
            String sql = "/* pgroute: primary */ SELECT * FROM sp_items";  // one connection for both clients
            try (Connection a = DriverManager.getConnection(url, props);
                 Connection b = DriverManager.getConnection(url, props);
                 Statement as = a.createStatement(); Statement bs = b.createStatement()) {
                as.execute("SET search_path = sp_a");
                bs.execute("SET search_path = sp_b");
                try (PreparedStatement ap = a.prepareStatement(sql); PreparedStatement bp = b.prepareStatement(sql)) {
                    for (int i = 0; i < 5; i++) {
                        try (ResultSet rs = ap.executeQuery()) {
                            assertThat(rs.getMetaData().getColumnCount()).isEqualTo(1);
                            assertThat(rs.next()).isTrue();
                            assertThat(rs.getInt(1)).isEqualTo(1);
                        }
                        try (ResultSet rs = bp.executeQuery()) {
                            assertThat(rs.getMetaData().getColumnCount()).as("run %d", i).isEqualTo(2);
                            assertThat(rs.next()).isTrue();
                            assertThat(rs.getString(1)).isEqualTo("b");
                            assertThat(rs.getInt(2)).isEqualTo(2);
                        }
                    }
                }
            }
        }
    }
}
