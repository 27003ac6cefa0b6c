package io.pgroute.proxy.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.proxy.cache.CacheStats;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that pipelines cached reads (many request units in one write) gets every answer, in order, from the
 * local cache where it may, and a write in the middle of the pipeline is seen by every read after it: the local
 * cache answers a unit as soon as the pump reaches it, never a unit behind a write.
 */
class PipelinedCacheHitsIT {

    private static PgrouteServer proxy;

    @BeforeAll
    static void start() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        String cache = "  enabled: true\n  redis: " + cluster.redis().orElseThrow().uri() + "\n"
                + "  local_max_bytes: 8MiB\n";
        proxy = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(cluster, Map.of("cache", cache,
                "routing", "  catalog_refresh: 1s")), "pipelined-hits.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.stop(Duration.ofSeconds(2));
        }
    }

    private static CacheStats stats() {
        return proxy.resultCache().orElseThrow().redis().stats();
    }

    /** The first column of each DataRow of each answer up to its ReadyForQuery, one list per answer. */
    private static List<List<String>> answers(WireClient client, int count) throws Exception {
        List<List<String>> result = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<String> values = new ArrayList<>();
            for (WireClient.Message each : client.readUntilReady()) {
                assertThat(each.type()).as("answer %d: %s", i, each).isNotEqualTo('E');
                if (each.type() == 'D') {
                    values.add(each.firstValue());
                }
            }
            result.add(values);
        }
        return result;
    }

    @Test
    void pipelinedReadsAreAnsweredInOrderAndReadsAfterAPipelinedWriteSeeIt() throws Exception {
        String table = "pipelined_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String small = "SELECT v FROM " + table + " WHERE id = 1";
        // about 300 KB: more than the 64 KiB after which answers given in one pump are flushed
        String large = "SELECT pad FROM " + table + " WHERE id > 1 ORDER BY id";
        try (WireClient client = WireClient.connect(proxy.port(), "trusted", "app")) {
            client.send(new Query("CREATE TABLE " + table + " (id int PRIMARY KEY, v int, pad text); INSERT INTO "
                    + table + " SELECT i, 7, repeat('x', 1000) FROM generate_series(1, 301) i"));
            client.readUntilReady();
            for (String each : List.of(small, large)) {
                Awaitility.await(each + " answered from the local cache").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(50)).until(() -> {
                            long before = stats().localHits();
                            client.send(new Query(each));
                            answers(client, 1);
                            return stats().localHits() > before;
                        });
            }

            List<Query> pipeline = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                pipeline.add(new Query(i % 50 == 0 ? large : small));
            }
            pipeline.add(new Query("UPDATE " + table + " SET v = 8 WHERE id = 1"));
            for (int i = 0; i < 50; i++) {
                pipeline.add(new Query(small));
            }
            long localBefore = stats().localHits();
            client.send(pipeline.toArray());
            List<List<String>> got = answers(client, pipeline.size());

            for (int i = 0; i < 200; i++) {
                if (i % 50 == 0) {
                    assertThat(got.get(i)).as("answer %d", i).hasSize(300).allMatch("x".repeat(1000)::equals);
                } else {
                    assertThat(got.get(i)).as("answer %d", i).containsExactly("7");
                }
            }
            assertThat(got.get(200)).as("the UPDATE").isEmpty();
            for (int i = 201; i < pipeline.size(); i++) {
                assertThat(got.get(i)).as("answer %d, after the UPDATE", i).containsExactly("8");
            }
            assertThat(stats().localHits() - localBefore).as("reads before the write answered locally")
                    .isPositive();
        }
    }
}
