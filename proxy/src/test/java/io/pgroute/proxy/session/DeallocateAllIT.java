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
 * A client's SQL {@code DEALLOCATE ALL} drops the statements pgroute prepared on that backend connection for every
 * client; pgroute must know, or the next client to use one gets 26000 (PgBouncer #974, Prisma; COMPAT V8).
 */
class DeallocateAllIT {

    @Test
    void anotherClientsDeallocateAllDoesNotBreakMyPreparedStatement() throws Exception {
        try (PgrouteServer server = ProxyFixture.server("deallocate-all.yaml", Map.of("pool", "  size: 1"))) {
            String url = "jdbc:postgresql://127.0.0.1:" + server.port() + "/app";
            Properties props = new Properties();
            props.setProperty("user", "app");
            props.setProperty("password", "app");
            props.setProperty("prepareThreshold", "1");  // a server-side named statement from the first run
            // on the primary, so that both clients use the one primary connection (reads may go to replicas)
            String sql = "/* pgroute: primary */ SELECT ?::int + 1";
            try (Connection first = DriverManager.getConnection(url, props);
                 PreparedStatement ps = first.prepareStatement(sql);
                 Connection other = DriverManager.getConnection(url, props);
                 Statement os = other.createStatement()) {
                assertThat(plusOne(ps, 1)).isEqualTo(2);
                assertThat(plusOne(ps, 2)).isEqualTo(3);

                os.execute("/* pgroute: primary */ DEALLOCATE ALL");

                for (int i = 3; i < 10; i++) {
                    assertThat(plusOne(ps, i)).as("run %d after the other client's DEALLOCATE ALL", i)
                            .isEqualTo(i + 1);
                }
                try (ResultSet rs = os.executeQuery("/* pgroute: primary */ SELECT 41 + 1")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(42);
                }
            }
        }
    }

    private static int plusOne(PreparedStatement ps, int value) throws Exception {
        ps.setInt(1, value);
        try (ResultSet rs = ps.executeQuery()) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }
}
