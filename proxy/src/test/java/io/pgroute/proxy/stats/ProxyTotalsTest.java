package io.pgroute.proxy.stats;

import io.pgroute.proxy.metrics.QueryRecorder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ProxyTotalsTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void countsRequestCyclesByRouteAndRateOverTheUptime() {
        ProxyTotals totals = new ProxyTotals(QueryRecorder.NONE, now::get);
        totals.query("app", QueryRecorder.Route.PRIMARY, 10);
        totals.query("app", QueryRecorder.Route.REPLICA, 10);
        totals.query("other", QueryRecorder.Route.REPLICA, 10);
        totals.query("app", QueryRecorder.Route.CACHE, 10);
        now.addAndGet(2_000_000_000L);
        ProxyTotals.Snapshot snapshot = totals.snapshot();
        assertThat(snapshot.primary()).isEqualTo(1);
        assertThat(snapshot.replica()).isEqualTo(2);
        assertThat(snapshot.cache()).isEqualTo(1);
        assertThat(snapshot.queries()).isEqualTo(4);
        assertThat(snapshot.uptimeSeconds()).isEqualTo(2.0);
        assertThat(snapshot.queriesPerSecond()).isEqualTo(2.0);
        assertThat(snapshot.errors()).isZero();
    }

    @Test
    void noRateBeforeAnyTimePassed() {
        ProxyTotals totals = new ProxyTotals(QueryRecorder.NONE, now::get);
        totals.query("app", QueryRecorder.Route.PRIMARY, 10);
        assertThat(totals.snapshot().queriesPerSecond()).isZero();
    }

    @Test
    void countsErrorsByClassMostFrequentFirst() {
        ProxyTotals totals = new ProxyTotals(QueryRecorder.NONE, now::get);
        for (String each : List.of("42601", "23505", "42P01", "23503", "42703", "57014")) {
            totals.error(each);
        }
        totals.error(null);
        totals.error("x");
        totals.error("a1000");
        ProxyTotals.Snapshot snapshot = totals.snapshot();
        assertThat(snapshot.errors()).isEqualTo(9);
        assertThat(snapshot.errorClasses()).containsExactly(Map.entry("42", 3L), Map.entry("??", 3L),
                Map.entry("23", 2L), Map.entry("57", 1L));
    }

    @Test
    void handsEveryCallOnToTheRecorderItWraps() {
        List<String> seen = new ArrayList<>();
        QueryRecorder next = new QueryRecorder() {
            @Override
            public void query(String database, Route route, long nanos) {
                seen.add("query " + database + " " + route + " " + nanos);
            }

            @Override
            public void error(String sqlState) {
                seen.add("error " + sqlState);
            }

            @Override
            public void statement(String database, String fingerprint, String sql, Route route, String reason,
                                  long nanos) {
                seen.add("statement " + fingerprint + " " + sql + " " + reason);
            }
        };
        ProxyTotals totals = new ProxyTotals(next);
        totals.query("app", QueryRecorder.Route.CACHE, 5);
        totals.error("40001");
        totals.statement("app", "SELECT ?", "SELECT 1", QueryRecorder.Route.CACHE, "cache hit", 5);
        assertThat(seen).containsExactly("query app CACHE 5", "error 40001", "statement SELECT ? SELECT 1 cache hit");
    }

    @Test
    void isFoundOnlyAtTheHeadOfARecorderChain() {
        ProxyTotals totals = new ProxyTotals(new RouteStats(10));
        assertThat(ProxyTotals.in(totals)).isSameAs(totals);
        assertThat(ProxyTotals.in(QueryRecorder.both(new RouteStats(10), totals))).isNull();
        assertThat(ProxyTotals.in(QueryRecorder.NONE)).isNull();
    }

    @Test
    void countsConcurrentRecordingExactly() throws Exception {
        ProxyTotals totals = new ProxyTotals();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            for (int t = 0; t < 4; t++) {
                threads.execute(() -> {
                    for (int i = 0; i < 10_000; i++) {
                        totals.query("app", QueryRecorder.Route.REPLICA, 1);
                        totals.error("08006");
                    }
                });
            }
        } finally {
            threads.shutdown();
            assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(totals.snapshot().replica()).isEqualTo(40_000);
        assertThat(totals.snapshot().errorClasses()).containsExactly(Map.entry("08", 40_000L));
    }
}
