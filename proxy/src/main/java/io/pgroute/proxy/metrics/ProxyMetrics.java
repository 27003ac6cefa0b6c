package io.pgroute.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgroute.proxy.stats.ProxyTotals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * pgroute's meters in a Micrometer Prometheus registry: what sessions report through {@link QueryRecorder}, and
 * gauges and counters read from the rest of the proxy when scraped (see {@link MetricsBinder}). Names follow
 * Prometheus conventions ({@code pgroute_…_total}, {@code _seconds}); docs/operations.md lists them. Micrometer
 * types stay inside this package.
 */
public final class ProxyMetrics implements QueryRecorder {

    /** Upper bounds of the query duration histogram. */
    private static final Duration[] DURATION_BUCKETS = {
        Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
        Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** By database, then by route's ordinal: no key built per request cycle. */
    private final Map<String, RouteMeters[]> routes = new ConcurrentHashMap<>();
    private final Map<String, Counter> errors = new ConcurrentHashMap<>();
    private final Map<String, Counter> logins = new ConcurrentHashMap<>();
    private final java.util.List<Object> keep = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Counter settingsReplays = Counter.builder("pgroute.settings.replays")
            .description("session settings replayed on a server connection before a request").register(registry);
    private final Counter parsesSkipped = Counter.builder("pgroute.parses.skipped")
            .description("unnamed statements and simple queries run as a server statement prepared earlier")
            .register(registry);

    private record RouteMeters(Counter queries, Timer duration) {
    }

    @Override
    public void query(String database, Route route, long nanos) {
        RouteMeters[] ofDatabase = routes.get(database);
        if (ofDatabase == null) {
            ofDatabase = routes.computeIfAbsent(database, key -> new RouteMeters[Route.values().length]);
        }
        RouteMeters meters = ofDatabase[route.ordinal()];
        if (meters == null) {
            meters = register(ofDatabase, database, route);
        }
        meters.queries().increment();
        meters.duration().record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The meters of {@code database}'s cycles answered by {@code route}, registered once (sessions race here). */
    private synchronized RouteMeters register(RouteMeters[] ofDatabase, String database, Route route) {
        RouteMeters meters = ofDatabase[route.ordinal()];
        if (meters == null) {
            meters = new RouteMeters(
                    Counter.builder("pgroute.queries").description("request cycles answered, by who answered them")
                            .tag("database", database).tag("route", route.label()).register(registry),
                    Timer.builder("pgroute.query.duration").description("time from sending a request cycle to its "
                                    + "ReadyForQuery").tag("database", database).tag("route", route.label())
                            .serviceLevelObjectives(DURATION_BUCKETS).register(registry));
            ofDatabase[route.ordinal()] = meters;
        }
        return meters;
    }

    @Override
    public void settingsReplayed() {
        settingsReplays.increment();
    }

    @Override
    public void parseSkipped() {
        parsesSkipped.increment();
    }

    @Override
    public void error(String sqlState) {
        String sqlClass = ProxyTotals.sqlStateClass(sqlState);
        errors.computeIfAbsent(sqlClass, key -> Counter.builder("pgroute.errors")
                .description("ErrorResponses sent to clients, by SQLSTATE class").tag("sqlstate_class", key)
                .register(registry)).increment();
    }

    @Override
    public void login(String sqlState) {
        String result = sqlState == null ? "ok" : sqlState;
        logins.computeIfAbsent(result, key -> Counter.builder("pgroute.logins")
                .description("client logins, by outcome: ok, or the SQLSTATE of the refusal").tag("result", key)
                .register(registry)).increment();
    }

    /** A gauge read when scraped. */
    void gauge(String name, String description, DoubleSupplier value, String... tags) {
        Gauge.builder(name, value, DoubleSupplier::getAsDouble).description(description).tags(tags)
                .strongReference(true).register(registry);
    }

    /** A monotonic counter read when scraped. */
    void counter(String name, String description, DoubleSupplier value, String... tags) {
        if (registry.find(name).tags(tags).functionCounter() != null) {
            return;  // bound again after a reload: the one there reads the same state
        }
        keep.add(value);  // Micrometer holds the state object weakly
        FunctionCounter.builder(name, value, DoubleSupplier::getAsDouble).description(description).tags(tags)
                .register(registry);
    }

    /** The Prometheus text exposition of every meter. */
    /** Removes the meters whose identity {@code gone} accepts (those of a node a reload removed). */
    void remove(java.util.function.Predicate<io.micrometer.core.instrument.Meter.Id> gone) {
        List.copyOf(registry.getMeters()).stream().filter(each -> gone.test(each.getId())).forEach(registry::remove);
    }

    public String scrape() {
        return registry.scrape();
    }

    /** Stops the registry. */
    public void close() {
        registry.close();
    }
}
