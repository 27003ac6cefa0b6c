package io.pgroute.proxy.routing;

import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica that dies under a 32-client read load: statements started after the kill never fail (they move to
 * the other replica or the primary), the monitor shows the node down, and reads come back to it once restarted.
 */
class ReplicaFailureIT {

    private static final int CLIENTS = 32;

    @Test
    void readsSurviveAReplicaDyingAndReturnWhenItComesBack() throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        PgNode victim = fixture.cluster().replicas().get(1);
        DatabaseRouting routing = fixture.server().routing("app");
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong killedAtNanos = new AtomicLong(Long.MAX_VALUE);
        Map<String, Integer> errorsAfterKill = new ConcurrentHashMap<>();
        AtomicLong readsAfterKill = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> clients = new ArrayList<>();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(pool.submit(() -> {
                    try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
                        while (running.get()) {
                            long started = System.nanoTime();
                            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM products")) {
                                rs.next();
                                assertThat(rs.getInt(1)).isEqualTo(5);
                                if (started > killedAtNanos.get()) {
                                    readsAfterKill.incrementAndGet();
                                }
                            } catch (SQLException e) {
                                if (started > killedAtNanos.get()) {
                                    errorsAfterKill.merge(e.getSQLState() + " " + e.getMessage(), 1, Integer::sum);
                                }
                                if (c.isClosed()) {
                                    return null;
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            Thread.sleep(1_000);
            fixture.cluster().stop(victim);
            killedAtNanos.set(System.nanoTime());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> health(routing, victim) == Health.DOWN);
            Thread.sleep(1_000);
            assertThat(readsAfterKill.get()).as("reads kept flowing after the kill").isGreaterThan(100);
            assertThat(errorsAfterKill).as("errors of statements started after the kill").isEmpty();
        } finally {
            running.set(false);
            for (Future<?> each : clients) {
                each.get(30, TimeUnit.SECONDS);
            }
            pool.shutdownNow();
            fixture.cluster().start(victim);
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> health(routing, victim) == Health.UP
                && routing.monitor().state().replicas().stream().allMatch(NodeState::eligible));
        try (Connection c = fixture.connect(); Statement s = c.createStatement()) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                try (ResultSet rs = s.executeQuery("SELECT inet_server_port()")) {
                    rs.next();
                    return rs.getInt(1) == victim.port();
                }
            });
        }
    }

    private static Health health(DatabaseRouting routing, PgNode node) {
        return routing.monitor().state().replicas().stream().filter(each -> each.port() == node.port())
                .findFirst().map(NodeState::health).orElseThrow();
    }
}
