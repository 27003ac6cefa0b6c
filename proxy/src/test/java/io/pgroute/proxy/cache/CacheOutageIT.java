package io.pgroute.proxy.cache;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.demo.DemoCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis killed under load: every query still succeeds (the cache fails open); Redis back: hits resume, and a write
 * made while it was down is what the first read afterwards shows.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.pgroute.localcluster.DockerModeCondition.class)
class CacheOutageIT {

    private static LocalCluster cluster;
    private static PgrouteServer proxy;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.builder().replicas(0).redis(true).start();
        DemoCluster.seed(cluster);
        String cache = "  enabled: true\n  redis: " + cluster.redis().orElseThrow().uri() + "\n"
                + "  timeout: 50ms\n  breaker: { failures: 3, cool_down: 200ms }\n";
        proxy = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(cluster, Map.of("cache", cache)),
                "outage.yaml", System::getenv), 2).start();
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.stop(Duration.ofSeconds(2));
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void queriesSucceedWhileRedisIsDownAndNothingStaleIsServedAfterwards() throws Exception {
        String read = "SELECT v FROM c_outage WHERE id = 1";
        try (Connection c = CacheIT.connect(proxy)) {
            CacheIT.execute(c, "CREATE TABLE c_outage (id int PRIMARY KEY, v text)",
                    "INSERT INTO c_outage VALUES (1, 'before'), (2, 'other')");
            assertThat(CacheIT.untilCached(proxy, c, read)).containsExactly("before");
        }
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong queries = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ExecutorService load = Executors.newFixedThreadPool(8);
        List<Future<?>> workers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int worker = i;
            workers.add(load.submit(() -> {
                try (Connection c = CacheIT.connect(proxy); Statement s = c.createStatement()) {
                    while (running.get()) {
                        if (worker == 0) {
                            s.executeUpdate("UPDATE c_outage SET v = 'other " + queries.get() + "' WHERE id = 2");
                        } else {
                            try (ResultSet rs = s.executeQuery("SELECT v FROM c_outage WHERE id = 2")) {
                                rs.next();
                            }
                        }
                        queries.incrementAndGet();
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
                return null;
            }));
        }
        try {
            Thread.sleep(500);
            cluster.killRedis();
            long atKill = queries.get();
            try (Connection c = CacheIT.connect(proxy)) {
                CacheIT.execute(c, "UPDATE c_outage SET v = 'during' WHERE id = 1");
                assertThat(CacheIT.rows(c, read)).containsExactly("during");
            }
            Thread.sleep(1500);
            assertThat(queries.get()).as("queries answered while Redis was down").isGreaterThan(atKill + 100);
            cluster.startRedis();
            Thread.sleep(500);
        } finally {
            running.set(false);
            for (Future<?> each : workers) {
                each.get(30, TimeUnit.SECONDS);
            }
            load.shutdownNow();
        }
        assertThat(failures).as("client errors").isEmpty();
        try (Connection c = CacheIT.connect(proxy)) {
            assertThat(CacheIT.rows(c, read)).as("first read after Redis came back").containsExactly("during");
            assertThat(CacheIT.untilCached(proxy, c, read)).as("hits come back").containsExactly("during");
        }
        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> proxy.resultCache().orElseThrow().redis().stats().errors() > 0);
    }
}
