package io.pgroute.proxy.stats;

import io.pgroute.proxy.metrics.QueryRecorder.Route;
import io.pgroute.proxy.sql.SqlScanner;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RouteStatsTest {

    @Test
    void aTimeFallsInTheFirstBucketWhoseBoundIsAtLeastIt() {
        // bounds: 10 µs, 15 µs, 22.5 µs, … (× 1.5), then one bucket for anything longer
        assertThat(RouteStats.bucket(0)).isZero();
        assertThat(RouteStats.bucket(10_000)).as("exactly the first bound").isZero();
        assertThat(RouteStats.bucket(10_001)).isEqualTo(1);
        assertThat(RouteStats.bucket(15_000)).isEqualTo(1);
        assertThat(RouteStats.bucket(22_500)).isEqualTo(2);
        assertThat(RouteStats.bucket(22_501)).isEqualTo(3);
        long lastBound = (long) Math.floor(10_000 * Math.pow(1.5, 39));
        assertThat(RouteStats.bucket(lastBound)).isEqualTo(39);
        assertThat(RouteStats.bucket(lastBound + 1)).as("above every bound").isEqualTo(40);
        assertThat(RouteStats.bucket(Long.MAX_VALUE)).isEqualTo(40);
    }

    @Test
    void statementsOfOneShapeShareARowWithCountsByTargetAndTimes() {
        RouteStats stats = new RouteStats(100);
        for (int i = 0; i < 98; i++) {
            record(stats, "SELECT * FROM t WHERE id = " + i, Route.REPLICA, "read", 1_000_000);
        }
        record(stats, "SELECT * FROM t WHERE id = 7", Route.CACHE, "cache hit", 50_000);
        record(stats, "SELECT * FROM t WHERE id = 8", Route.PRIMARY, "read-your-writes", 200_000_000);
        record(stats, "UPDATE t SET v = 1", Route.PRIMARY, "write or primary-only", 2_000_000);
        List<RouteStats.Row> rows = stats.top(10);
        assertThat(rows).hasSize(2);
        RouteStats.Row select = rows.get(0);
        assertThat(select.database()).isEqualTo("app");
        assertThat(select.calls()).isEqualTo(100);
        assertThat(select.replica()).isEqualTo(98);
        assertThat(select.cache()).isEqualTo(1);
        assertThat(select.primary()).isEqualTo(1);
        assertThat(select.lastReason()).isEqualTo("read-your-writes");
        assertThat(select.sample()).startsWith("SELECT * FROM t WHERE id = ");
        assertThat(select.totalMillis()).isCloseTo(98 + 0.05 + 200, org.assertj.core.data.Offset.offset(0.001));
        assertThat(select.p99Millis()).as("99th of 100: a 1 ms call").isBetween(1.0, 1.6);
        assertThat(rows.get(1).calls()).isEqualTo(1);
        assertThat(stats.top(1)).containsExactly(select);
        stats.reset();
        assertThat(stats.top(10)).isEmpty();
    }

    @Test
    void eachThreadCountsApartAndARowSumsThemWithTheLatestReason() throws Exception {
        RouteStats stats = new RouteStats(100);
        Thread other = new Thread(() -> {
            for (int i = 0; i < 30; i++) {
                record(stats, "SELECT * FROM t WHERE id = " + i, Route.REPLICA, "read", 1_000_000);
            }
        });
        other.start();
        other.join(10_000);
        for (int i = 0; i < 20; i++) {
            record(stats, "SELECT * FROM t WHERE id = " + i, Route.PRIMARY, "read-your-writes", 3_000_000);
        }
        List<RouteStats.Row> rows = stats.top(10);
        assertThat(rows).hasSize(1);
        RouteStats.Row row = rows.get(0);
        assertThat(row.calls()).isEqualTo(50);
        assertThat(row.replica()).isEqualTo(30);
        assertThat(row.primary()).isEqualTo(20);
        assertThat(row.lastReason()).as("this thread changed its reason after the other one").isEqualTo(
                "read-your-writes");
        assertThat(row.totalMillis()).isCloseTo(30 + 60, org.assertj.core.data.Offset.offset(0.001));
        assertThat(row.p99Millis()).as("99th of 50: a 3 ms call").isBetween(3.0, 4.6);
        stats.reset();
        assertThat(stats.top(10)).isEmpty();
    }

    /** What a session records: the text with the classifier's fingerprint of it. */
    private static void record(RouteStats stats, String sql, Route route, String reason, long nanos) {
        stats.statement("app", SqlScanner.fingerprint(sql), sql, route, reason, nanos);
    }
}
