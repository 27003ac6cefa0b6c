package io.pgroute.proxy.admin;

import io.pgroute.proxy.metrics.QueryRecorder;
import io.pgroute.proxy.stats.ProxyTotals;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StatsReportTest {

    @Test
    void showStatsIsOneTypedRowOfTotals() {
        ProxyTotals totals = new ProxyTotals();
        totals.query("app", QueryRecorder.Route.PRIMARY, 1);
        totals.query("app", QueryRecorder.Route.REPLICA, 1);
        totals.query("app", QueryRecorder.Route.REPLICA, 1);
        totals.query("app", QueryRecorder.Route.CACHE, 1);
        totals.error("42601");
        totals.settingsReplayed();
        totals.parseSkipped();
        totals.parseSkipped();
        AdminResult result = new StatsReport(totals).stats();
        assertThat(result.columns()).extracting(AdminResult.Column::name).containsExactly("queries", "primary",
                "replica", "cache", "errors", "uptime_seconds", "queries_per_second", "settings_replays",
                "parses_skipped");
        assertThat(result.columns()).extracting(AdminResult.Column::type).containsExactly(ColumnType.INT8,
                ColumnType.INT8, ColumnType.INT8, ColumnType.INT8, ColumnType.INT8, ColumnType.FLOAT8,
                ColumnType.FLOAT8, ColumnType.INT8, ColumnType.INT8);
        assertThat(result.rows()).hasSize(1);
        assertThat(result.rows().get(0)).startsWith(4L, 1L, 2L, 1L, 1L);
        assertThat((Double) result.column("uptime_seconds").get(0)).isGreaterThanOrEqualTo(0.0);
        assertThat((Double) result.column("queries_per_second").get(0)).isGreaterThanOrEqualTo(0.0);
        assertThat(result.column("settings_replays")).containsExactly(1L);
        assertThat(result.column("parses_skipped")).containsExactly(2L);
        assertThat(result.tag()).isEqualTo("SHOW");
    }

    @Test
    void showErrorsListsClassesMostFrequentFirst() {
        ProxyTotals totals = new ProxyTotals();
        for (String each : List.of("23505", "42601", "23503", "57P01", "23514")) {
            totals.error(each);
        }
        AdminResult result = new StatsReport(totals).errors();
        assertThat(result.columns()).extracting(AdminResult.Column::name).containsExactly("sqlstate_class", "count");
        assertThat(result.columns()).extracting(AdminResult.Column::type).containsExactly(ColumnType.TEXT,
                ColumnType.INT8);
        assertThat(result.column("sqlstate_class")).containsExactly("23", "42", "57");
        assertThat(result.column("count")).containsExactly(3L, 1L, 1L);
    }

    @Test
    void withoutTotalsShowsZerosAndTheProcessUptime() {
        StatsReport report = new StatsReport(null);
        AdminResult stats = report.stats();
        assertThat(stats.rows().get(0)).startsWith(0L, 0L, 0L, 0L, 0L);
        assertThat((Double) stats.column("uptime_seconds").get(0)).isPositive();
        assertThat(report.errors().rows()).isEmpty();
        assertThat(report.errors().columns()).hasSize(2);
    }
}
