package io.pgroute.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CacheConfigTest {

    private static final String MINIMAL = "users: { app: { password: app } }\n"
            + "databases: { app: { primary: { host: db } }, reports: { primary: { host: db } } }\n";
    private static final String SENTINEL_EXAMPLE = "redis-sentinel://s1:26379,s2:26379/0#mymaster";

    @Test
    void defaultsToDisabledWithTwentyMillisecondTimeoutAndFiveMinuteTtl() {
        assertThat(CacheConfig.disabled()).isEqualTo(new CacheConfig(false, List.of(), false, Duration.ofMillis(20),
                Duration.ofSeconds(300), 1024 * 1024, Set.of(), Set.of(), Map.of(), Set.of(), Map.of(), 5,
                Duration.ofSeconds(1)));
    }

    @Test
    void isDisabledWhenTheSectionIsAbsentOrEmpty() throws Exception {
        assertThat(parse(MINIMAL)).isEqualTo(CacheConfig.disabled());
        assertThat(parse(MINIMAL + "cache:\n")).isEqualTo(CacheConfig.disabled());
        assertThat(parse(MINIMAL + "cache: {}\n")).isEqualTo(CacheConfig.disabled());
        assertThat(parse(MINIMAL + "cache: { enabled: false, redis: \"redis://cache:6379\" }\n").enabled()).isFalse();
    }

    @Test
    void readsAFullSectionFoldingNamesToLowerCaseInFileOrder() throws Exception {
        CacheConfig cache = parse(MINIMAL
                + "cache:\n"
                + "  enabled: true\n"
                + "  redis: \"rediss://app:s3cret@cache.internal:6380/2\"\n"
                + "  timeout: 50ms\n"
                + "  default_ttl: 10m\n"
                + "  max_result_bytes: 256kB\n"
                + "  local_max_bytes: 8MiB\n"
                + "  tables:\n"
                + "    include: [Products, orders, categories, products]\n"
                + "    exclude: [orders_audit]\n"
                + "    ttl: { Products: 30s, categories: 1h }\n"
                + "  functions: [My_Func, now_utc, app.price]\n"
                + "  databases: { reports: false, app: true }\n"
                + "  breaker: { failures: 3, cool_down: 5s }\n");

        assertThat(cache).isEqualTo(new CacheConfig(true, List.of("rediss://app:s3cret@cache.internal:6380/2"), false,
                Duration.ofMillis(50), Duration.ofMinutes(10), 256 * 1024, Set.of("products", "orders", "categories"),
                Set.of("orders_audit"), Map.of("products", Duration.ofSeconds(30), "categories", Duration.ofHours(1)),
                Set.of("my_func", "now_utc", "app.price"), Map.of("reports", false, "app", true), 3,
                Duration.ofSeconds(5), 8L << 20));
        assertThat(parse(MINIMAL + "cache: { enabled: true, redis: \"redis://cache:6379\" }\n").localMaxBytes())
                .as("default").isEqualTo(32L << 20);
        assertThat(parse(MINIMAL + "cache: { enabled: true, redis: \"redis://cache:6379\", local_max_bytes: 0 }\n")
                .localMaxBytes()).as("off").isZero();
        assertThat(cache.include()).containsExactly("products", "orders", "categories");
        assertThat(cache.tableTtls().keySet()).containsExactly("products", "categories");
        assertThat(cache.functions()).containsExactly("my_func", "now_utc", "app.price");
        assertThat(cache.databases().keySet()).containsExactly("reports", "app");
    }

    @Test
    void acceptsClusterSeedsAndOneSentinelUri() throws Exception {
        CacheConfig cluster = parse(MINIMAL + "cache:\n  enabled: true\n  cluster: true\n  redis:\n"
                + "    - \"redis://seed-1:7000\"\n    - \"redis://seed-2:7000\"\n");
        CacheConfig sentinel = parse(MINIMAL + "cache: { enabled: true, redis: [\"" + SENTINEL_EXAMPLE + "\"] }\n");
        CacheConfig sentinelByQuery = parse(MINIMAL
                + "cache: { enabled: true, redis: \"redis-sentinel://s1:26379?sentinelMasterId=mymaster\" }\n");

        assertThat(cluster.redis()).containsExactly("redis://seed-1:7000", "redis://seed-2:7000");
        assertThat(cluster.cluster()).isTrue();
        assertThat(sentinel.redis()).containsExactly(SENTINEL_EXAMPLE);
        assertThat(sentinel.cluster()).isFalse();
        assertThat(sentinelByQuery.enabled()).isTrue();
    }

    @Test
    void reportsEveryBadValueWithItsLine() throws Exception {
        Path file = Path.of(CacheConfigTest.class.getResource("/config/bad-cache.yaml").toURI());
        String schema = "give the table name without its schema: tables are matched by name in every schema";
        assertThatThrownBy(() -> ConfigLoader.parse(Files.readString(file), "bad-cache.yaml", name -> null))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems().stream()
                        .map(each -> each.format("bad-cache.yaml")).toList()).containsExactly(
                        "bad-cache.yaml:4: cache.enabled: must be true or false",
                        "bad-cache.yaml:6: cache.redis[0]: must start with redis://, rediss:// or redis-sentinel://",
                        "bad-cache.yaml:7: cache.redis[1]: must not be empty",
                        "bad-cache.yaml:8: cache.redis[2]: must name a host, as in redis://cache.internal:6379",
                        "bad-cache.yaml:9: cache.redis[3]: must name the master after #, as in " + SENTINEL_EXAMPLE,
                        "bad-cache.yaml:10: cache.redis[4]: must be a string",
                        "bad-cache.yaml:11: cache.cluster: must be true or false",
                        "bad-cache.yaml:12: cache.timeout: must be greater than zero",
                        "bad-cache.yaml:13: cache.default_ttl: " + DurationParser.EXPECTED,
                        "bad-cache.yaml:14: cache.max_result_bytes: must be between 1 and 9223372036854775807 bytes",
                        "bad-cache.yaml:16: cache.tables.include[0]: " + schema,
                        "bad-cache.yaml:16: cache.tables.include[2]: must not be empty",
                        "bad-cache.yaml:17: cache.tables.exclude[0]: audit is in both include and exclude",
                        "bad-cache.yaml:19: cache.tables.ttl.products: must be greater than zero",
                        "bad-cache.yaml:20: cache.tables.ttl.app.users: " + schema,
                        "bad-cache.yaml:22: cache.tables.ttl.ORDERS: the same table as Orders: unquoted names are"
                                + " folded to lower case",
                        "bad-cache.yaml:23: cache.tables.ttl.sessions: " + DurationParser.EXPECTED,
                        "bad-cache.yaml:24: cache.tables.excludes: unknown key (did you mean exclude?)",
                        "bad-cache.yaml:25: cache.functions[1]: must not be empty",
                        "bad-cache.yaml:26: cache.databases.app: must be true or false",
                        "bad-cache.yaml:26: cache.databases.apq: not configured under databases (did you mean app?)",
                        "bad-cache.yaml:26: cache.databases.nothing: not configured under databases",
                        "bad-cache.yaml:27: cache.breaker.failures: must be at least 1",
                        "bad-cache.yaml:27: cache.breaker.cool_down: must be greater than zero",
                        "bad-cache.yaml:27: cache.breaker.cooldown: unknown key (did you mean cool_down?)",
                        "bad-cache.yaml:28: cache.timout: unknown key (did you mean timeout?)"));
    }

    @Test
    void requiresRedisWhenEnabled() {
        assertThat(problems(MINIMAL + "cache:\n  enabled: true\n")).containsExactly(
                new ConfigProblem("cache.redis", 3, "is required when cache.enabled is true"));
        assertThat(problems(MINIMAL + "cache:\n  enabled: true\n  redis: []\n")).containsExactly(
                new ConfigProblem("cache.redis", 5, "is required when cache.enabled is true"));
        assertThat(problems(MINIMAL + "cache:\n  enabled: true\n  redis: { host: cache }\n")).containsExactly(
                new ConfigProblem("cache.redis", 5, "must be a URI or a list of URIs"));
    }

    @Test
    void requiresClusterForSeveralUris() {
        assertThat(problems(MINIMAL + "cache:\n  redis: [\"redis://a:6379\", \"rediss://b:6379\"]\n"))
                .containsExactly(new ConfigProblem("cache.redis", 4,
                        "several URIs need cluster: true (they are the seed nodes of a Redis Cluster)"));
    }

    @Test
    void refusesSentinelWithClusterOrBesideOtherUris() {
        assertThat(problems(MINIMAL + "cache:\n  cluster: true\n  redis: \"" + SENTINEL_EXAMPLE + "\"\n"))
                .containsExactly(new ConfigProblem("cache.cluster", 4,
                        "cannot be combined with a redis-sentinel:// URI: a Redis Cluster has no Sentinel"));
        assertThat(problems(MINIMAL + "cache:\n  redis:\n    - \"" + SENTINEL_EXAMPLE + "\"\n"
                + "    - \"redis-sentinel://s3:26379#mymaster\"\n"))
                .containsExactly(new ConfigProblem("cache.redis", 4,
                        "a redis-sentinel:// URI must be the only one: list every sentinel in it, as in "
                                + SENTINEL_EXAMPLE));
    }

    @Test
    void reportsWrongShapes() {
        assertThat(problems(MINIMAL + "cache:\n  tables: { include: products, ttl: [products] }\n"
                + "  functions: now\n  databases: [app]\n  breaker: 5\n")).containsExactly(
                new ConfigProblem("cache.tables.include", 4, "must be a list"),
                new ConfigProblem("cache.tables.ttl", 4, "must be a mapping"),
                new ConfigProblem("cache.functions", 5, "must be a list"),
                new ConfigProblem("cache.databases", 6, "must be a mapping"),
                new ConfigProblem("cache.breaker", 7, "must be a mapping"));
    }

    @Test
    void neverShowsRedisPasswordsInToString() {
        CacheConfig cache = new CacheConfig(true, List.of("redis://app:s3cret@cache:6379/0", "rediss://:pw2@cache",
                "redis://pw3@cache", "redis://:p@ss/w4rd@cache:6379"), true, Duration.ofMillis(20),
                Duration.ofSeconds(300), 1, Set.of(), Set.of(), Map.of(), Set.of(), Map.of(), 1, Duration.ofSeconds(1));
        CacheConfig sentinel = new CacheConfig(true, List.of("redis-sentinel://:pw5@s1:26379,s2:26379/0#mymaster"),
                false, Duration.ofMillis(20), Duration.ofSeconds(300), 1, Set.of(), Set.of(), Map.of(), Set.of(),
                Map.of(), 1, Duration.ofSeconds(1));

        assertThat(cache.toString()).doesNotContain("s3cret", "pw2", "pw3", "p@ss", "w4rd")
                .contains("redis=[redis://***@cache:6379/0, rediss://***@cache, redis://***@cache,"
                        + " redis://***@cache:6379]");
        assertThat(sentinel.toString()).doesNotContain("pw5")
                .contains("redis-sentinel://***@s1:26379,s2:26379/0#mymaster");
        assertThat(CacheConfig.disabled().toString()).contains("redis=[]");
        assertThat(CacheConfig.masked("redis://cache:6379")).isEqualTo("redis://cache:6379");
    }

    @Test
    void switchesCachingPerDatabase() {
        CacheConfig cache = cache(Set.of(), Set.of(), Map.of(), Map.of("app", true, "reports", false));

        assertThat(cache.enabledFor("app")).isTrue();
        assertThat(cache.enabledFor("reports")).isFalse();
        assertThat(cache.enabledFor("other")).isTrue();
        assertThat(CacheConfig.disabled().enabledFor("app")).isFalse();
    }

    @Test
    void allowsIncludedTablesThatAreNotExcluded() {
        CacheConfig everyTable = cache(Set.of(), Set.of("audit"), Map.of(), Map.of());
        CacheConfig someTables = cache(Set.of("products", "orders"), Set.of("orders"), Map.of(), Map.of());

        assertThat(everyTable.tableAllowed("products")).isTrue();
        assertThat(everyTable.tableAllowed("audit")).isFalse();
        assertThat(someTables.tableAllowed("products")).isTrue();
        assertThat(someTables.tableAllowed("orders")).isFalse();
        assertThat(someTables.tableAllowed("users")).isFalse();
    }

    @Test
    void takesTheSmallestTableTtlElseTheDefault() {
        CacheConfig cache = cache(Set.of(), Set.of(), Map.of("products", Duration.ofSeconds(30), "categories",
                Duration.ofHours(1)), Map.of());

        assertThat(cache.ttlFor(List.of("products", "categories", "orders"))).isEqualTo(Duration.ofSeconds(30));
        assertThat(cache.ttlFor(List.of("categories", "orders"))).isEqualTo(Duration.ofHours(1));
        assertThat(cache.ttlFor(List.of("orders"))).isEqualTo(Duration.ofSeconds(300));
        assertThat(cache.ttlFor(List.of())).isEqualTo(Duration.ofSeconds(300));
    }

    @Test
    void copiesCollectionsUnmodifiable() {
        CacheConfig cache = cache(Set.of("products"), Set.of(), Map.of("products", Duration.ofSeconds(1)),
                Map.of("app", true));

        assertThatThrownBy(() -> cache.redis().add("redis://x")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> cache.include().add("x")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> cache.tableTtls().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> cache.databases().put("x", false))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void refusesOutOfRangeComponents() {
        CacheConfig valid = cache(Set.of(), Set.of(), Map.of(), Map.of());

        assertThatThrownBy(() -> new CacheConfig(true, List.of(), false, valid.timeout(), valid.defaultTtl(), 1,
                Set.of(), Set.of(), Map.of(), Set.of(), Map.of(), 1, valid.breakerCoolDown()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CacheConfig(false, List.of(), false, Duration.ZERO, valid.defaultTtl(), 1,
                Set.of(), Set.of(), Map.of(), Set.of(), Map.of(), 1, valid.breakerCoolDown()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CacheConfig(false, List.of(), false, valid.timeout(), valid.defaultTtl(), 0,
                Set.of(), Set.of(), Map.of(), Set.of(), Map.of(), 1, valid.breakerCoolDown()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CacheConfig(false, List.of(), false, valid.timeout(), valid.defaultTtl(), 1,
                Set.of(), Set.of(), Map.of("t", Duration.ofSeconds(-1)), Set.of(), Map.of(), 1,
                valid.breakerCoolDown())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CacheConfig(false, List.of(), false, valid.timeout(), valid.defaultTtl(), 1,
                Set.of(), Set.of(), Map.of(), Set.of(), Map.of(), 0, valid.breakerCoolDown()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keepsTheOlderProxyConfigConstructorsWithTheCacheDisabled() {
        ProxyConfig config = ProxyConfig.of(ListenConfig.defaults(), Map.of(), Map.of());
        ProxyConfig nineArguments = new ProxyConfig(config.listen(), config.tls(), config.users(),
                config.databases(), config.pool(), config.metrics(), config.logging(), config.limits(),
                config.routing());
        CacheConfig cache = cache(Set.of(), Set.of(), Map.of(), Map.of());
        ProxyConfig tenArguments = new ProxyConfig(config.listen(), config.tls(), config.users(),
                config.databases(), config.pool(), config.metrics(), config.logging(), config.limits(),
                config.routing(), cache);

        assertThat(config.cache()).isEqualTo(CacheConfig.disabled());
        assertThat(nineArguments).isEqualTo(config);
        assertThat(tenArguments.cache()).isSameAs(cache);
    }

    private static CacheConfig cache(Set<String> include, Set<String> exclude, Map<String, Duration> tableTtls,
            Map<String, Boolean> databases) {
        return new CacheConfig(true, List.of("redis://cache:6379"), false, Duration.ofMillis(20),
                Duration.ofSeconds(300), 1 << 20, include, exclude, tableTtls, Set.of(), databases, 5,
                Duration.ofSeconds(1));
    }

    private static CacheConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, "x.yaml", name -> null).cache();
    }

    private static List<ConfigProblem> problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, "x.yaml", name -> null);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected problems in:\n" + yaml);
    }
}
