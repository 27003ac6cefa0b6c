package io.pgroute.proxy.metrics;

import io.pgroute.config.ConfigLoader;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code /metrics} parses as Prometheus text and moves with the workload; {@code /health} reports the primaries. */
class MetricsIT {

    /** Every metric pgroute exports; docker/grafana's dashboard may use only these (DockerPackagingTest). */
    static final List<String> EXPORTED = List.of("pgroute_queries_total", "pgroute_query_duration_seconds_bucket",
            "pgroute_query_duration_seconds_sum", "pgroute_query_duration_seconds_count",
            "pgroute_client_connections", "pgroute_server_connections", "pgroute_pool_waits_total",
            "pgroute_cache_hits_total", "pgroute_cache_misses_total", "pgroute_cache_stores_total",
            "pgroute_cache_invalidations_total", "pgroute_cache_errors_total", "pgroute_cache_circuit_open",
            "pgroute_replica_lag_bytes", "pgroute_replica_lag_seconds", "pgroute_node_up", "pgroute_pinned_sessions",
            "pgroute_errors_total", "pgroute_stale_plans_total", "pgroute_logins_total");

    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (-?[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|[+-]Inf)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static PgrouteServer proxy;

    @BeforeAll
    static void start() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        String cache = "  enabled: true\n  redis: " + cluster.redis().orElseThrow().uri() + "\n";
        proxy = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(cluster, Map.of("metrics",
                "  listen: 127.0.0.1:0", "cache", cache)), "metrics.yaml", System::getenv), 2).start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> proxy.routing("app").monitor().state()
                .replicas().stream().allMatch(io.pgroute.proxy.routing.NodeState::eligible));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.stop(Duration.ofSeconds(2));
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.metricsPort().orElseThrow()
                + path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Every sample of the exposition, by series ("name{labels}"); fails on a line that is not Prometheus text. */
    private static Map<String, Double> scrape() throws Exception {
        HttpResponse<String> response = get("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain"));
        Map<String, Double> result = new HashMap<>();
        for (String line : response.body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                assertThat(line.isEmpty() || line.startsWith("# HELP ") || line.startsWith("# TYPE ")
                        || line.startsWith("# EOF")).as(line).isTrue();
                continue;
            }
            Matcher matcher = SAMPLE.matcher(line);
            assertThat(matcher.matches()).as("a Prometheus sample line: " + line).isTrue();
            String value = matcher.group(3);
            result.put(matcher.group(1) + (matcher.group(2) == null ? "" : matcher.group(2)),
                    value.equals("NaN") ? Double.NaN : value.endsWith("Inf") ? Double.POSITIVE_INFINITY
                            : Double.parseDouble(value));
        }
        return result;
    }

    private static double value(Map<String, Double> samples, String name, String... labels) {
        return samples.entrySet().stream()
                .filter(each -> each.getKey().equals(name) || each.getKey().startsWith(name + "{"))
                .filter(each -> java.util.Arrays.stream(labels).allMatch(label -> each.getKey().contains(label)))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    @Test
    void countersMoveWithTheWorkloadAndEveryMetricIsExported() throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app";
        try (Connection c = DriverManager.getConnection(url, "app", "app"); Statement s = c.createStatement();
             Connection reader = DriverManager.getConnection(url, "app", "app");
             Statement reads = reader.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS metrics_probe (v int)");
            // the CREATE is the application's write: its reads go to the primary until a replica has replayed it
            // (read-your-writes across connections), which on a busy machine outlasted the ten reads below
            Awaitility.await("a read on a replica after the CREATE").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        try (java.sql.ResultSet rs = reads.executeQuery("SELECT pg_is_in_recovery()")) {
                            return rs.next() && rs.getBoolean(1);
                        }
                    });
            Map<String, Double> before = scrape();
            for (int i = 0; i < 10; i++) {
                reads.executeQuery("SELECT pg_is_in_recovery(), " + i).close();  // a connection that never wrote
            }
            for (int i = 0; i < 3; i++) {
                s.executeUpdate("INSERT INTO metrics_probe VALUES (" + i + ")");
            }
            assertThatThrownBy(() -> s.execute("SELEC 1")).isInstanceOf(SQLException.class);
            Map<String, Double> after = scrape();
            String replica = "route=\"replica\"";
            String primary = "route=\"primary\"";
            assertThat(value(after, "pgroute_queries_total", replica) - value(before, "pgroute_queries_total", replica))
                    .as("reads answered by replicas").isEqualTo(10);
            assertThat(value(after, "pgroute_queries_total", primary) - value(before, "pgroute_queries_total", primary))
                    .as("writes and the failed statement answered by the primary").isEqualTo(4);
            assertThat(value(after, "pgroute_query_duration_seconds_count", replica)
                    - value(before, "pgroute_query_duration_seconds_count", replica)).isEqualTo(10);
            assertThat(value(after, "pgroute_errors_total", "sqlstate_class=\"42\"")
                    - value(before, "pgroute_errors_total", "sqlstate_class=\"42\"")).isEqualTo(1);
            assertThat(value(after, "pgroute_client_connections", "database=\"app\"")).isGreaterThanOrEqualTo(1);
            assertThat(value(after, "pgroute_server_connections", "node=\"app/primary\"")).isPositive();
            assertThat(value(after, "pgroute_node_up", "node=\"primary\"")).isEqualTo(1);
            assertThat(value(after, "pgroute_node_up", "node=\"replica2\"")).isEqualTo(1);
            assertThat(proxy.routes().top(100)).as("SHOW ROUTES data").anySatisfy(row -> {
                assertThat(row.sample()).startsWith("SELECT pg_is_in_recovery()");
                assertThat(row.replica()).isGreaterThanOrEqualTo(10);
                assertThat(row.lastReason()).isEqualTo("read");
            });
            assertThat(proxy.routes().top(100)).anySatisfy(row -> {
                assertThat(row.sample()).startsWith("INSERT INTO metrics_probe");
                assertThat(row.primary()).isGreaterThanOrEqualTo(3);
            });
            for (String name : EXPORTED) {
                assertThat(after.keySet()).as("exported " + name)
                        .anyMatch(series -> series.equals(name) || series.startsWith(name + "{"));
            }
        }
    }

    @Test
    void loginsAreCountedByOutcome() throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/";
        Map<String, Double> before = scrape();
        for (int i = 0; i < 2; i++) {
            DriverManager.getConnection(url + "app", "app", "app").close();
        }
        assertThatThrownBy(() -> DriverManager.getConnection(url + "app", "app", "wrong").close())
                .isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> DriverManager.getConnection(url + "no_such_db", "app", "app").close())
                .isInstanceOf(SQLException.class);
        Map<String, Double> after = scrape();
        for (String[] each : new String[][] {{"ok", "2"}, {"28P01", "1"}, {"3D000", "1"}}) {
            String label = "result=\"" + each[0] + "\"";
            assertThat(value(after, "pgroute_logins_total", label) - value(before, "pgroute_logins_total", label))
                    .as(each[0]).isEqualTo(Double.parseDouble(each[1]));
        }
    }

    /** A replica a reload adds gets its node meters (they were bound to the nodes configured at start). */
    @Test
    void aReplicaAddedByAReloadGetsItsNodeMetersAndOneRemovedLosesThem() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        String full = ProxyFixture.yaml(cluster, Map.of("metrics", "  listen: 127.0.0.1:0"));
        String secondReplica = "      - { host: 127.0.0.1, port: " + cluster.replicas().get(1).port() + " }\n";
        assertThat(full).contains(secondReplica);
        String one = full.replace(secondReplica, "");
        try (PgrouteServer server = new PgrouteServer(ConfigLoader.parse(one, "one-replica.yaml", System::getenv), 1)
                .start()) {
            String replica2 = "pgroute_node_up{database=\"app\",node=\"replica2\"}";
            assertThat(scrape(server).keySet()).doesNotContain(replica2);
            server.reload(ConfigLoader.parse(full, "two-replicas.yaml", System::getenv));
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(scrape(server))
                    .containsEntry(replica2, 1.0));

            // and a reload that removes it again takes its meters away (they stayed, at 0 / NaN, before)
            server.reload(ConfigLoader.parse(one, "one-replica-again.yaml", System::getenv));
            Map<String, Double> after = scrape(server);
            assertThat(after.keySet()).filteredOn(each -> each.contains("replica2")).isEmpty();
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(scrape(server))
                    .containsEntry("pgroute_node_up{database=\"app\",node=\"replica1\"}", 1.0));
            assertThat(after.keySet()).anyMatch(each -> each.startsWith("pgroute_server_connections")
                    && each.contains("node=\"app/replica1\""));
        }
    }

    private static Map<String, Double> scrape(PgrouteServer server) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.metricsPort().orElseThrow() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        Map<String, Double> result = new HashMap<>();
        for (String line : response.body().split("\n")) {
            Matcher matcher = SAMPLE.matcher(line);
            if (!line.startsWith("#") && matcher.matches()) {
                result.put(matcher.group(1) + (matcher.group(2) == null ? "" : matcher.group(2)),
                        matcher.group(3).equals("NaN") ? Double.NaN : Double.parseDouble(matcher.group(3)));
            }
        }
        return result;
    }

    @Test
    void healthSaysWhetherThePrimaryIsReachable() throws Exception {
        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("app: primary up\n");
        assertThat(get("/nothing").statusCode()).isEqualTo(404);
    }

    /** A primary nothing answers on: {@code /health} says 503 and names it, while the replicas answer. */
    @Test
    void healthFailsWhileThePrimaryDoesNotAnswer() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        int closedPort = ProxyFixture.freePort();  // nothing listens there
        String yaml = ProxyFixture.yaml(cluster, Map.of("metrics", "  listen: 127.0.0.1:0"))
                .replace("primary: { host: 127.0.0.1, port: " + cluster.primary().port() + " }",
                        "primary: { host: 127.0.0.1, port: " + closedPort + " }");
        assertThat(yaml).contains("port: " + closedPort);
        PgrouteServer broken = new PgrouteServer(ConfigLoader.parse(yaml, "broken.yaml", System::getenv), 1).start();
        try {
            URI uri = URI.create("http://127.0.0.1:" + broken.metricsPort().orElseThrow() + "/health");
            Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(503);
                assertThat(health.body()).isEqualTo("app: primary down\n");
            });
        } finally {
            broken.stop(Duration.ofSeconds(2));
        }
    }
}
