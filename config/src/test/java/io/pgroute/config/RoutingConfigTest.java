package io.pgroute.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingConfigTest {

    private static final String MINIMAL = "users: { app: { password: app } }\n"
            + "databases: { app: { primary: { host: db } } }\n";

    @Test
    void defaultsToCausalRoundRobinWithOneSecondLagLimit() {
        assertThat(RoutingConfig.defaults()).isEqualTo(new RoutingConfig(Consistency.GLOBAL, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 16L * 1024 * 1024, Balance.ROUND_ROBIN, false, null, Duration.ofMillis(20),
                Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(10), true, Duration.ZERO));
    }

    @Test
    void acceptsZeroLagLimitsAsUnlimitedAndEnumsInAnyCase() throws Exception {
        RoutingConfig routing = parse(MINIMAL + "routing: { consistency: EVENTUAL, max_lag: 0, max_lag_bytes: 0,"
                + " balance: Random, lag_interval: 1ms, zone: eu-west-1a }\n");

        assertThat(routing.consistency()).isEqualTo(Consistency.EVENTUAL);
        assertThat(routing.maxLag()).isZero();
        assertThat(routing.maxLagBytes()).isZero();
        assertThat(routing.balance()).isEqualTo(Balance.RANDOM);
        assertThat(routing.lagInterval()).isEqualTo(Duration.ofMillis(1));
        assertThat(routing.zone()).isEqualTo("eu-west-1a");
    }

    @Test
    void primaryDiscoveryCanBeTurnedOff() throws Exception {
        assertThat(RoutingConfig.defaults().discoverPrimary()).isTrue();
        assertThat(parse(MINIMAL + "routing: { discover_primary: false }\n").discoverPrimary()).isFalse();
        assertThatThrownBy(() -> parse(MINIMAL + "routing: { discover_primary: sometimes }\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("routing.discover_primary");
    }

    @Test
    void promotionIsOffUnlessADelayIsGivenAndNeedsDiscovery() throws Exception {
        assertThat(RoutingConfig.defaults().promoteAfter()).isZero();
        assertThat(parse(MINIMAL + "routing: { promote_after: 5s }\n").promoteAfter()).isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> parse(MINIMAL + "routing: { promote_after: 5s, discover_primary: false }\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("routing.promote_after: needs discover_primary: true");
    }

    @Test
    void readsEachConsistency() throws Exception {
        assertThat(parse(MINIMAL + "routing: { consistency: global }\n").consistency()).isEqualTo(Consistency.GLOBAL);
        assertThat(parse(MINIMAL + "routing: { consistency: causal }\n").consistency()).isEqualTo(Consistency.CAUSAL);
        assertThat(parse(MINIMAL + "routing: { consistency: window }\n").consistency()).isEqualTo(Consistency.WINDOW);
    }

    @Test
    void takesDefaultsForAnEmptySection() throws Exception {
        assertThat(parse(MINIMAL + "routing:\n")).isEqualTo(RoutingConfig.defaults());
        assertThat(parse(MINIMAL + "routing: {}\n")).isEqualTo(RoutingConfig.defaults());
    }

    @Test
    void reportsEveryBadValueWithItsLine() throws Exception {
        Path file = Path.of(RoutingConfigTest.class.getResource("/config/bad-routing.yaml").toURI());
        assertThatThrownBy(() -> ConfigLoader.parse(Files.readString(file), "bad-routing.yaml", name -> null))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems().stream()
                        .map(each -> each.format("bad-routing.yaml")).toList()).containsExactly(
                        "bad-routing.yaml:4: routing.consistency: must be one of causal, global, window, eventual",
                        "bad-routing.yaml:5: routing.window: " + DurationParser.EXPECTED,
                        "bad-routing.yaml:6: routing.max_lag: " + DurationParser.EXPECTED,
                        "bad-routing.yaml:7: routing.max_lag_bytes: " + ByteSizeParser.EXPECTED,
                        "bad-routing.yaml:8: routing.balance: must be one of round-robin, least-connections, random",
                        "bad-routing.yaml:9: routing.primary_reads: must be true or false",
                        "bad-routing.yaml:10: routing.zone: must not be empty",
                        "bad-routing.yaml:11: routing.lag_interval: must be greater than zero",
                        "bad-routing.yaml:12: routing.health_interval: must be greater than zero",
                        "bad-routing.yaml:13: routing.catalog_refresh: " + DurationParser.EXPECTED,
                        "bad-routing.yaml:14: routing.lag_idle_after: " + DurationParser.EXPECTED,
                        "bad-routing.yaml:15: routing.max_lagg: unknown key (did you mean max_lag?)"));
    }

    @Test
    void reportsASectionThatIsNotAMapping() {
        assertThatThrownBy(() -> parse(MINIMAL + "routing: causal\n"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems())
                        .containsExactly(new ConfigProblem("routing", 3, "must be a mapping")));
    }

    @Test
    void keepsTheOlderConstructorsWithDefaultRouting() {
        ProxyConfig config = ProxyConfig.of(ListenConfig.defaults(), Map.of(), Map.of());
        ProxyConfig eightArguments = new ProxyConfig(config.listen(), config.tls(), config.users(),
                config.databases(), config.pool(), config.metrics(), config.logging(), config.limits());

        assertThat(config.routing()).isEqualTo(RoutingConfig.defaults());
        assertThat(eightArguments).isEqualTo(config);
    }

    @Test
    void refusesANegativeByteLimit() {
        assertThatThrownBy(() -> new RoutingConfig(Consistency.CAUSAL, Duration.ZERO, Duration.ZERO, -1,
                Balance.RANDOM, false, null, Duration.ofMillis(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ZERO, true, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static RoutingConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, "x.yaml", name -> null).routing();
    }
}
