package io.pgroute.proxy.session;

import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** 200 concurrent clients, 100 queries each, every answer exactly right. */
class LoadIT {

    private static final int CLIENTS = 200;
    private static final int QUERIES = 100;

    /** Connections of role app to the primary right now, seen by the superuser directly. */
    private static int serverConnections(ProxyFixture fixture) throws java.sql.SQLException {
        try (Connection c = java.sql.DriverManager.getConnection(fixture.cluster().primary().jdbcUrl("postgres"),
                fixture.cluster().superuser(), fixture.cluster().superuserPassword());
             java.sql.Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' "
                     + "AND backend_type = 'client backend'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void twoHundredConcurrentClientsGetExactlyTheirAnswers() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int client = 0; client < CLIENTS; client++) {
                int id = client;
                results.add(pool.submit(() -> {
                    int correct = 0;
                    try (Connection c = fixture.connect();
                         PreparedStatement ps = c.prepareStatement("SELECT ?::int * 1000 + ?::int, ?::text")) {
                        for (int i = 0; i < QUERIES; i++) {
                            ps.setInt(1, id);
                            ps.setInt(2, i);
                            ps.setString(3, "client-" + id + "-" + i);
                            try (ResultSet rs = ps.executeQuery()) {
                                rs.next();
                                if (rs.getInt(1) == id * 1000 + i && rs.getString(2).equals("client-" + id + "-" + i)
                                        && !rs.next()) {
                                    correct++;
                                }
                            }
                        }
                    }
                    return correct;
                }));
            }
            int mostServerConnections = 0;
            while (results.stream().anyMatch(each -> !each.isDone())) {
                mostServerConnections = Math.max(mostServerConnections, serverConnections(fixture));
                Thread.sleep(50);
            }
            int total = 0;
            for (Future<Integer> each : results) {
                total += each.get(120, TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(CLIENTS * QUERIES);
            // transaction pooling: 200 clients share pool.size (20) connections per node, plus the pool's reserve
            // for requests that only prepare (one per I/O thread: 2 here), the monitor's own and a catalog refresh's
            assertThat(mostServerConnections).as("app connections on the primary").isBetween(1, 20 + 2 + 2);
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }
}
