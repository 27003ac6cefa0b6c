package io.pgroute.proxy.admin;

import io.pgroute.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigReportTest {

    private static final String YAML = """
            listen: { host: 127.0.0.1, port: 6432 }
            users:
              app: { password: s3cret, auth: md5 }
              admin: { password: adminpw, admin: true, addresses: [ 10.0.0.0/8, local ] }
            databases:
              app:
                primary: { host: 10.0.0.1, port: 5432 }
                replicas:
                  - { host: 10.0.0.2, port: 5433, zone: b }
                user: app
                password: dbpw
                monitor_user: watcher
                monitor_password: watchpw
            routing: { max_lag: 1500ms }
            cache:
              enabled: true
              redis: redis://user:redispw@10.0.0.9:6379
            """;

    private final AdminResult result = report();

    private static AdminResult report() {
        try {
            return new ConfigReport(ConfigLoader.parse(YAML, "t.yaml", name -> null)).show();
        } catch (io.pgroute.config.ConfigException e) {
            throw new IllegalStateException(e);
        }
    }

    private String value(String section, String key) {
        for (Object[] each : result.rows()) {
            if (each[0].equals(section) && each[1].equals(key)) {
                return (String) each[2];
            }
        }
        throw new AssertionError("no " + section + " " + key + " in " + result);
    }

    @Test
    void flattensEverySectionWithYamlSpelling() {
        assertThat(value("listen", "port")).isEqualTo("6432");
        assertThat(value("listen", "unix_socket_mode")).as("a file mode in octal").isEqualTo("0777");
        assertThat(value("users", "app.auth")).isEqualTo("md5");
        assertThat(value("users", "admin.admin")).isEqualTo("true");
        assertThat(value("users", "admin.addresses")).isEqualTo("[10.0.0.0/8, local]");
        assertThat(value("databases", "app.primary.host")).isEqualTo("10.0.0.1");
        assertThat(value("databases", "app.replicas[0].zone")).isEqualTo("b");
        assertThat(value("routing", "max_lag")).isEqualTo("1500ms");
        assertThat(value("cache", "enabled")).isEqualTo("true");
        assertThat(result.column("section")).contains("pool", "limits", "metrics", "logging", "tls");
    }

    @Test
    void masksEverySecret() {
        assertThat(value("users", "app.password")).isEqualTo("***");
        assertThat(value("users", "admin.password")).isEqualTo("***");
        assertThat(value("databases", "app.password")).isEqualTo("***");
        assertThat(value("databases", "app.monitor_user")).isEqualTo("watcher");
        assertThat(value("databases", "app.monitor_password")).isEqualTo("***");
        assertThat(value("cache", "redis")).isEqualTo("[redis://***@10.0.0.9:6379]");
        List<Object> values = result.column("value");
        assertThat(values).noneMatch(each -> each != null && (each.toString().contains("s3cret")
                || each.toString().contains("adminpw") || each.toString().contains("dbpw")
                || each.toString().contains("redispw") || each.toString().contains("watchpw")));
    }

    @Test
    void writesDurationsLikeProxyYaml() {
        assertThat(ConfigReport.duration(Duration.ofMillis(20))).isEqualTo("20ms");
        assertThat(ConfigReport.duration(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(ConfigReport.duration(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(ConfigReport.duration(Duration.ofHours(1))).isEqualTo("1h");
        assertThat(ConfigReport.duration(Duration.ZERO)).isEqualTo("0ms");
    }
}
