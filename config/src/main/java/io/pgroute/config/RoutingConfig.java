package io.pgroute.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Read/write splitting and replica choice ({@code routing:}).
 *
 * @param consistency what a read may miss of earlier writes, default {@link Consistency#GLOBAL}
 * @param window with {@link Consistency#WINDOW}, how long after a write reads go to the primary, default 1s
 * @param maxLag a replica whose replay is older than this gets no reads, default 1s; zero means no time limit
 * @param maxLagBytes a replica this many WAL bytes behind gets no reads, default 16 MiB; zero means no byte limit
 * @param balance how reads are spread over eligible replicas, default {@link Balance#ROUND_ROBIN}
 * @param primaryReads whether the primary takes reads too, default false
 * @param zone this proxy's zone: eligible replicas with the same zone are preferred; null means no preference
 * @param lagInterval how often WAL positions are sampled, greater than zero (so at least 1ms), default 20ms
 * @param healthInterval how often a node that is down is probed again, default 1s
 * @param catalogRefresh how often function volatility is re-read from {@code pg_proc}, default 60s
 * @param lagIdleAfter after this long without a read that could go to a replica (nor a write the cache settles), WAL
 * positions are sampled every {@code healthInterval} only, until the next one; default 10s; zero means never
 * @param discoverPrimary whether writes follow a promotion: the configured node that is writable on the newest
 * timeline takes them, whichever the configuration calls the primary; default true
 * @param promoteAfter when the primary has been down this long and no configured node takes writes, pgroute promotes
 * the replica that replayed the most ({@code pg_promote()}); default zero: never (an HA tool's job)
 */
public record RoutingConfig(Consistency consistency, Duration window, Duration maxLag, long maxLagBytes,
        Balance balance, boolean primaryReads, String zone, Duration lagInterval, Duration healthInterval,
        Duration catalogRefresh, Duration lagIdleAfter, boolean discoverPrimary, Duration promoteAfter) {

    /** Checks that every component but the zone is present and that the lag limit is not negative. */
    public RoutingConfig {
        Objects.requireNonNull(consistency, "consistency");
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(maxLag, "maxLag");
        Objects.requireNonNull(balance, "balance");
        Objects.requireNonNull(lagInterval, "lagInterval");
        Objects.requireNonNull(healthInterval, "healthInterval");
        Objects.requireNonNull(catalogRefresh, "catalogRefresh");
        Objects.requireNonNull(lagIdleAfter, "lagIdleAfter");
        Objects.requireNonNull(promoteAfter, "promoteAfter");
        if (maxLagBytes < 0) {
            throw new IllegalArgumentException("maxLagBytes must not be negative: " + maxLagBytes);
        }
    }

    /**
     * Global, 1s window, 1s / 16 MiB lag limits, round-robin, no primary reads, no zone, 20ms, 1s, 60s, 10s, primary
     * discovered, never promoted.
     */
    public static RoutingConfig defaults() {
        return new RoutingConfig(Consistency.GLOBAL, Duration.ofSeconds(1), Duration.ofSeconds(1), 16L << 20,
                Balance.ROUND_ROBIN, false, null, Duration.ofMillis(20), Duration.ofSeconds(1),
                Duration.ofSeconds(60), Duration.ofSeconds(10), true, Duration.ZERO);
    }

    /** This routing with {@code refresh} as its catalog refresh interval (a reload keeps the running one). */
    public RoutingConfig withCatalogRefresh(Duration refresh) {
        return new RoutingConfig(consistency, window, maxLag, maxLagBytes, balance, primaryReads, zone, lagInterval,
                healthInterval, refresh, lagIdleAfter, discoverPrimary, promoteAfter);
    }

    static RoutingConfig read(MappingReader reader) {
        RoutingConfig defaults = defaults();
        RoutingConfig result = new RoutingConfig(
                reader.choice("consistency", Consistency.class, defaults.consistency()),
                reader.duration("window", defaults.window(), false),
                reader.duration("max_lag", defaults.maxLag(), false),
                reader.size("max_lag_bytes", defaults.maxLagBytes(), 0, Long.MAX_VALUE),
                reader.choice("balance", Balance.class, defaults.balance()),
                reader.bool("primary_reads", defaults.primaryReads()),
                zone(reader),
                reader.duration("lag_interval", defaults.lagInterval(), true),
                reader.duration("health_interval", defaults.healthInterval(), true),
                reader.duration("catalog_refresh", defaults.catalogRefresh(), true),
                reader.duration("lag_idle_after", defaults.lagIdleAfter(), false),
                reader.bool("discover_primary", defaults.discoverPrimary()),
                reader.duration("promote_after", defaults.promoteAfter(), false));
        if (!result.promoteAfter().isZero() && !result.discoverPrimary()) {
            reader.problem("promote_after", "needs discover_primary: true (a promoted node must take the writes)");
        }
        reader.finish();
        return result;
    }

    private static String zone(MappingReader reader) {
        String result = reader.string("zone").orElse(null);
        if (result != null && result.isBlank()) {
            reader.problem("zone", "must not be empty");
            return null;
        }
        return result;
    }
}
