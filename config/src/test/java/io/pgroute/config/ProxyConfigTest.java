package io.pgroute.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyConfigTest {

    private static final UserConfig APP = new UserConfig("app", "s3cret", null, AuthMethod.SCRAM_SHA_256, false);
    private static final DatabaseConfig DB = DatabaseConfig.of("app", NodeConfig.of("db", 5432), List.of());

    @Test
    void fillsDefaultsForTests() {
        ProxyConfig config = ProxyConfig.of(new ListenConfig("127.0.0.1", 0), Map.of("app", APP), Map.of("app", DB));

        assertThat(config.tls().mode()).isEqualTo(TlsMode.DISABLE);
        assertThat(config.pool()).isEqualTo(new PoolConfig(PoolMode.TRANSACTION, 20, Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofMinutes(10), Duration.ofHours(1)));
        assertThat(config.metrics().enabled()).isFalse();
        assertThat(config.logging()).isEqualTo(new LoggingConfig(LogFormat.TEXT, "INFO", Map.of()));
        assertThat(config.limits()).isEqualTo(new LimitsConfig(1L << 30, 10_000, Duration.ofSeconds(30)));
        assertThat(config.user("app")).contains(APP);
        assertThat(config.database("app")).contains(DB);
        assertThat(DB.dbname()).isEqualTo("app");
    }

    @Test
    void copiesMapsAndListsKeepingTheirOrder() {
        Map<String, UserConfig> users = new LinkedHashMap<>();
        users.put("zed", new UserConfig("zed", null, null, AuthMethod.TRUST, false));
        users.put("app", APP);
        List<NodeConfig> replicas = new ArrayList<>(List.of(NodeConfig.of("r1", 5432)));
        DatabaseConfig database = DatabaseConfig.of("app", NodeConfig.of("db", 5432), replicas);
        ProxyConfig config = ProxyConfig.of(ListenConfig.defaults(), users, Map.of("app", database));

        users.clear();
        replicas.clear();

        assertThat(config.users().keySet()).containsExactly("zed", "app");
        assertThat(config.database("app").orElseThrow().replicas()).hasSize(1);
        assertThatThrownBy(() -> config.users().put("x", APP)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> config.database("app").orElseThrow().replicas().add(NodeConfig.of("r2", 1)))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void neverShowsSecretsInToString() {
        DatabaseConfig database = new DatabaseConfig("app", NodeConfig.of("db", 5432), List.of(), "app", "svc",
                "db-pass", BackendTlsMode.REQUIRE);
        UserConfig svc = new UserConfig("svc", null, "SCRAM-SHA-256$1:c2FsdA==$x:y", AuthMethod.SCRAM_SHA_256, true);

        String text = ProxyConfig.of(ListenConfig.defaults(), Map.of("app", APP, "svc", svc), Map.of("app", database))
                .toString();

        assertThat(text).doesNotContain("s3cret", "db-pass", "SCRAM-SHA-256$").contains("password=***");
    }

    @Test
    void refusesTlsWithoutFiles() {
        assertThatThrownBy(() -> new TlsConfig(TlsMode.REQUIRE, Path.of("cert.pem"), null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatsNodeAddresses() {
        assertThat(NodeConfig.of("db", 5432).address()).isEqualTo("db:5432");
        assertThat(NodeConfig.of("::1", 5433).address()).isEqualTo("[::1]:5433");
    }

    @Test
    void formatsProblemsWithAndWithoutLine() {
        ConfigProblem located = new ConfigProblem("databases.app.primary.port", 12, "must be 1-65535");
        ConfigProblem whole = new ConfigProblem("", 0, "file not found");

        assertThat(located.format("proxy.yaml")).isEqualTo("proxy.yaml:12: databases.app.primary.port: must be 1-65535");
        assertThat(located).hasToString("line 12: databases.app.primary.port: must be 1-65535");
        assertThat(whole.format("proxy.yaml")).isEqualTo("proxy.yaml: file not found");
        assertThat(whole).hasToString("file not found");
        assertThat(new ConfigException("proxy.yaml", List.of(located, whole)))
                .hasMessage("proxy.yaml:12: databases.app.primary.port: must be 1-65535\nproxy.yaml: file not found");
    }
}
