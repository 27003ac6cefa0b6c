package io.pgroute.proxy.admin;

import io.pgroute.proxy.stats.ProxyTotals;

import java.lang.management.ManagementFactory;
import java.util.Map;

/**
 * {@code SHOW STATS} (request cycles by who answered them, errors, uptime and rate since start) and
 * {@code SHOW ERRORS} (errors sent to clients by SQLSTATE class), from the {@link ProxyTotals} in the recorder
 * chain. Without one (the server did not put it there) both show zeros, and the uptime is the JVM's.
 */
final class StatsReport {

    private final ProxyTotals totals;

    /** {@code totals} is null when nothing counts. */
    StatsReport(ProxyTotals totals) {
        this.totals = totals;
    }

    static AdminResult.Builder statsColumns() {
        return new AdminResult.Builder().column("queries", ColumnType.INT8).column("primary", ColumnType.INT8)
                .column("replica", ColumnType.INT8).column("cache", ColumnType.INT8).column("errors", ColumnType.INT8)
                .column("uptime_seconds", ColumnType.FLOAT8).column("queries_per_second", ColumnType.FLOAT8)
                .column("settings_replays", ColumnType.INT8).column("parses_skipped", ColumnType.INT8);
    }

    static AdminResult.Builder errorColumns() {
        return new AdminResult.Builder().column("sqlstate_class", ColumnType.TEXT).column("count", ColumnType.INT8);
    }

    AdminResult stats() {
        if (totals == null) {
            double uptime = ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0;
            return statsColumns().row(0L, 0L, 0L, 0L, 0L, round(uptime), 0.0, 0L, 0L).build();
        }
        ProxyTotals.Snapshot now = totals.snapshot();
        return statsColumns().row(now.queries(), now.primary(), now.replica(), now.cache(), now.errors(),
                round(now.uptimeSeconds()), round(now.queriesPerSecond()), now.settingsReplays(),
                now.parsesSkipped()).build();
    }

    AdminResult errors() {
        AdminResult.Builder result = errorColumns();
        if (totals != null) {
            for (Map.Entry<String, Long> each : totals.snapshot().errorClasses()) {
                result.row(each.getKey(), each.getValue());
            }
        }
        return result.build();
    }

    /** Three decimals: milliseconds of uptime, a thousandth of a query per second. */
    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
