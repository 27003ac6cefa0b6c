package io.pgroute.proxy.stats;

import io.pgroute.proxy.metrics.QueryRecorder;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Totals since start for the admin console's {@code SHOW STATS} and {@code SHOW ERRORS}: request cycles by who
 * answered them, and errors sent to clients by SQLSTATE class (its first two characters). A {@link QueryRecorder}
 * that counts, then hands every call on to the recorder it wraps, so that it can sit at the head of the chain and
 * be found there ({@link #in}). Thread-safe; recording a cycle is one {@link ThreadCounter} increment.
 */
public final class ProxyTotals implements QueryRecorder {

    /** SQLSTATE classes are two characters of [0-9A-Z]; anything else is counted under this one. */
    static final String MALFORMED_CLASS = "??";

    private final QueryRecorder next;
    private final LongSupplier clock;
    private final long startNanos;
    /** Request cycles by route's ordinal. */
    private final ThreadCounter[] routes = new ThreadCounter[Route.values().length];
    private final LongAdder errors = new LongAdder();
    private final LongAdder settingsReplays = new LongAdder();
    private final LongAdder parsesSkipped = new LongAdder();
    private final Map<String, LongAdder> errorClasses = new ConcurrentHashMap<>();

    /** Totals counted from now, recording nowhere else. */
    public ProxyTotals() {
        this(NONE);
    }

    /** Totals counted from now, each call then passed to {@code next}. */
    public ProxyTotals(QueryRecorder next) {
        this(next, System::nanoTime);
    }

    ProxyTotals(QueryRecorder next, LongSupplier clock) {
        this.next = next;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        for (int i = 0; i < routes.length; i++) {
            routes[i] = new ThreadCounter();
        }
    }

    /** The totals at the head of {@code recorder}'s chain, or null when it does not start with one. */
    public static ProxyTotals in(QueryRecorder recorder) {
        return recorder instanceof ProxyTotals result ? result : null;
    }

    /**
     * The figures at one moment.
     *
     * @param primary        request cycles answered by a primary
     * @param replica        by a replica
     * @param cache          from the result cache
     * @param errors         ErrorResponses sent to clients
     * @param uptimeSeconds  since these totals started
     * @param errorClasses   errors by SQLSTATE class, the most frequent first (ties by class)
     * @param settingsReplays session settings replayed on server connections before a request
     * @param parsesSkipped  unnamed statements run as a server statement prepared earlier, not parsed again
     */
    public record Snapshot(long primary, long replica, long cache, long errors, double uptimeSeconds,
                           List<Map.Entry<String, Long>> errorClasses, long settingsReplays, long parsesSkipped) {

        public Snapshot {
            errorClasses = List.copyOf(errorClasses);
        }

        /** Every request cycle answered. */
        public long queries() {
            return primary + replica + cache;
        }

        /** Request cycles per second of uptime; 0 before any time has passed. */
        public double queriesPerSecond() {
            return uptimeSeconds <= 0 ? 0.0 : queries() / uptimeSeconds;
        }
    }

    @Override
    public void query(String database, Route route, long nanos) {
        routes[route.ordinal()].increment();
        next.query(database, route, nanos);
    }

    @Override
    public void error(String sqlState) {
        errors.increment();
        errorClasses.computeIfAbsent(sqlStateClass(sqlState), each -> new LongAdder()).increment();
        next.error(sqlState);
    }

    @Override
    public void statement(String database, String fingerprint, String sql, Route route, String reason,
                          long nanos) {
        next.statement(database, fingerprint, sql, route, reason, nanos);
    }

    @Override
    public void settingsReplayed() {
        settingsReplays.increment();
        next.settingsReplayed();
    }

    @Override
    public void parseSkipped() {
        parsesSkipped.increment();
        next.parseSkipped();
    }

    @Override
    public void login(String sqlState) {
        next.login(sqlState);
    }

    /** The counters now; they move on while being read, so the figures may be a moment apart. */
    public Snapshot snapshot() {
        List<Map.Entry<String, Long>> classes = errorClasses.entrySet().stream()
                .map(each -> Map.entry(each.getKey(), each.getValue().sum()))
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .toList();
        double uptime = (clock.getAsLong() - startNanos) / 1e9;
        return new Snapshot(routes[Route.PRIMARY.ordinal()].sum(), routes[Route.REPLICA.ordinal()].sum(),
                routes[Route.CACHE.ordinal()].sum(), errors.sum(), uptime, classes, settingsReplays.sum(),
                parsesSkipped.sum());
    }

    /** The first two characters of {@code sqlState} when they can be a class, else {@value #MALFORMED_CLASS}. */
    public static String sqlStateClass(String sqlState) {
        if (sqlState == null || sqlState.length() < 2) {
            return MALFORMED_CLASS;
        }
        for (int i = 0; i < 2; i++) {
            char c = sqlState.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z')) {
                return MALFORMED_CLASS;
            }
        }
        return sqlState.substring(0, 2);
    }
}
