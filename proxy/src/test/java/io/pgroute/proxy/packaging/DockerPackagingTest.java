package io.pgroute.proxy.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgroute.config.ConfigLoader;
import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.NodeConfig;
import io.pgroute.config.ProxyConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * Checks the Docker packaging (docker-compose.yml, Dockerfile, docker/) without a Docker engine, which CI does not
 * have: the compose stack is never started here, so this test holds its files to what can be checked statically —
 * the mounted pgroute configuration loads, every host path the stack mounts or builds from exists, the Grafana
 * dashboard queries only metrics pgroute exports, and the image does not run as root.
 */
class DockerPackagingTest {

    /**
     * Every series name pgroute exports. MetricsIT checks the same names against the real /metrics endpoint; keep
     * the two lists equal.
     */
    static final Set<String> EXPORTED_METRICS = Set.of(
            "pgroute_queries_total",
            "pgroute_query_duration_seconds_bucket",
            "pgroute_query_duration_seconds_sum",
            "pgroute_query_duration_seconds_count",
            "pgroute_client_connections",
            "pgroute_server_connections",
            "pgroute_pool_waits_total",
            "pgroute_cache_hits_total",
            "pgroute_cache_misses_total",
            "pgroute_cache_stores_total",
            "pgroute_cache_invalidations_total",
            "pgroute_cache_errors_total",
            "pgroute_cache_circuit_open",
            "pgroute_replica_lag_bytes",
            "pgroute_replica_lag_seconds",
            "pgroute_node_up",
            "pgroute_pinned_sessions",
            "pgroute_errors_total",
            "pgroute_stale_plans_total",
            "pgroute_logins_total");

    private static final Pattern METRIC = Pattern.compile("pgroute_[a-z_]+");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root = repositoryRoot();

    @Test
    void proxyYamlPassesTheConfigLoader() {
        assertThatCode(() -> ConfigLoader.load(root.resolve("docker/pgroute/proxy.yaml")))
                .doesNotThrowAnyException();
    }

    @Test
    void proxyYamlListensOnAllInterfacesAndNamesComposeServices() throws Exception {
        ProxyConfig config = ConfigLoader.load(root.resolve("docker/pgroute/proxy.yaml"));
        Set<String> services = fieldNames(compose().path("services"));

        assertThat(config.listen().host()).isEqualTo("0.0.0.0");
        assertThat(config.listen().port()).isEqualTo(6432);
        assertThat(config.metrics().enabled()).isTrue();
        assertThat(config.metrics().host()).isEqualTo("0.0.0.0");
        assertThat(config.metrics().port()).isEqualTo(9930);
        assertThat(config.cache().enabled()).isTrue();
        assertThat(config.cache().redis())
                .allSatisfy(each -> assertThat(services).contains(URI.create(each).getHost()));
        assertThat(config.users()).containsKeys("app", "admin");
        assertThat(config.users().get("admin").admin()).isTrue();
        DatabaseConfig app = config.databases().get("app");
        assertThat(app).isNotNull();
        assertThat(app.replicas()).isNotEmpty();
        assertThat(services).contains(app.primary().host());
        assertThat(app.replicas()).extracting(NodeConfig::host).allSatisfy(each -> assertThat(services).contains(each));
    }

    @Test
    void everyBindMountAndBuildInputExists() throws IOException {
        JsonNode services = compose().path("services");
        List<String> checked = new ArrayList<>();
        for (String name : fieldNames(services)) {
            JsonNode service = services.path(name);
            for (JsonNode volume : service.path("volumes")) {
                bindSource(volume).ifPresent(source -> {
                    checked.add(source);
                    assertThat(root.resolve(source).normalize()).as("%s mounts %s", name, source).exists();
                });
            }
            JsonNode build = service.path("build");
            if (!build.isMissingNode()) {
                Path context = root.resolve(build.isTextual() ? build.asText() : build.path("context").asText("."));
                Path dockerfile = context.resolve(build.path("dockerfile").asText("Dockerfile"));
                checked.add(root.relativize(dockerfile.normalize()).toString());
                assertThat(context).as("%s build context", name).isDirectory();
                assertThat(dockerfile).as("%s Dockerfile", name).isRegularFile();
            }
        }
        assertThat(checked).as("host paths the stack uses").contains("./docker/pgroute/proxy.yaml", "Dockerfile");
    }

    @Test
    void composeRunsPostgres17AndPublishesPgroutePorts() throws IOException {
        JsonNode services = compose().path("services");
        assertThat(fieldNames(services)).contains("primary", "replica", "redis", "redisinsight", "pgroute",
                "prometheus", "grafana");
        assertThat(services.path("primary").path("image").asText()).isEqualTo("postgres:17");
        assertThat(services.path("replica").path("image").asText()).isEqualTo("postgres:17");
        assertThat(texts(services.path("pgroute").path("ports"))).contains("6432:6432", "9930:9930");
        assertThat(texts(services.path("pgroute").path("volumes")))
                .contains("./docker/pgroute/proxy.yaml:/etc/pgroute/proxy.yaml:ro");
    }

    @Test
    void prometheusScrapesThePgrouteMetricsPort() throws IOException {
        JsonNode prometheus = YAML.readTree(root.resolve("docker/prometheus/prometheus.yml").toFile());
        List<String> targets = new ArrayList<>();
        prometheus.path("scrape_configs").forEach(job -> job.path("static_configs")
                .forEach(each -> targets.addAll(texts(each.path("targets")))));
        assertThat(targets).contains("pgroute:9930");
    }

    @Test
    void dashboardQueriesOnlyExportedMetrics() throws IOException {
        Set<String> used = metricsIn(dashboardExpressions());
        assertThat(used).as("metrics the dashboard queries").isNotEmpty().isSubsetOf(EXPORTED_METRICS);
    }

    @Test
    void dashboardShowsRoutesLatencyCacheLagPoolWaitsAndErrors() throws IOException {
        assertThat(metricsIn(dashboardExpressions())).contains("pgroute_queries_total",
                "pgroute_query_duration_seconds_bucket", "pgroute_cache_hits_total", "pgroute_cache_misses_total",
                "pgroute_replica_lag_seconds", "pgroute_replica_lag_bytes", "pgroute_pool_waits_total",
                "pgroute_errors_total");
    }

    @Test
    void dashboardUsesTheProvisionedDatasource() throws IOException {
        JsonNode provisioned = YAML.readTree(root.resolve("docker/grafana/provisioning/datasources/prometheus.yaml")
                .toFile());
        Set<String> uids = new TreeSet<>();
        provisioned.path("datasources").forEach(each -> uids.add(each.path("uid").asText()));
        List<String> referenced = dashboard().findValues("datasource").stream()
                .map(each -> each.path("uid").asText()).toList();
        assertThat(referenced).isNotEmpty().allSatisfy(each -> assertThat(uids).contains(each));
    }

    @Test
    void finalDockerfileStageDoesNotRunAsRoot() throws IOException {
        String dockerfile = Files.readString(root.resolve("Dockerfile"));
        assertThat(finalStageUser(dockerfile)).as("USER of the final stage").hasValueSatisfying(
                each -> assertThat(isRoot(each)).as("%s is root", each).isFalse());
    }

    @Test
    void finalDockerfileStageIsTheJreWithPortsAndHealthcheck() throws IOException {
        List<String> stage = finalStage(Files.readString(root.resolve("Dockerfile")));
        assertThat(stage.get(0)).isEqualTo("FROM eclipse-temurin:17-jre");
        assertThat(stage).contains("EXPOSE 6432 9930");
        assertThat(stage).anySatisfy(each -> assertThat(each).startsWith("HEALTHCHECK").contains("9930/health"));
        assertThat(stage).anySatisfy(each -> assertThat(each).startsWith("ENTRYPOINT").contains("/app/pgroute.jar"));
    }

    @Test
    void checksDetectRootUsersNamedVolumesAndUnknownMetrics() {
        assertThat(finalStageUser("FROM a AS build\nUSER app\nFROM b\nRUN true\n")).isEmpty();
        assertThat(finalStageUser("FROM a\nUSER app\nUSER root:root\n")).hasValue("root:root");
        assertThat(isRoot("root:root")).isTrue();
        assertThat(isRoot("0")).isTrue();
        assertThat(isRoot("10001:10001")).isFalse();
        assertThat(bindSource(JSON.getNodeFactory().textNode("data:/var/lib/postgresql/data"))).isEmpty();
        assertThat(bindSource(JSON.getNodeFactory().textNode("./x.yaml:/etc/x.yaml:ro"))).hasValue("./x.yaml");
        assertThat(metricsIn(List.of("sum(rate(pgroute_queries_totl[1m]))"))).containsExactly("pgroute_queries_totl");
        assertThat(EXPORTED_METRICS).doesNotContain("pgroute_queries_totl");
    }

    private JsonNode compose() throws IOException {
        return YAML.readTree(root.resolve("docker-compose.yml").toFile());
    }

    private JsonNode dashboard() throws IOException {
        return JSON.readTree(root.resolve("docker/grafana/dashboards/pgroute.json").toFile());
    }

    private List<String> dashboardExpressions() throws IOException {
        List<String> result = dashboard().findValues("expr").stream().map(JsonNode::asText).toList();
        assertThat(result).as("PromQL expressions in the dashboard").isNotEmpty();
        return result;
    }

    private static Set<String> metricsIn(List<String> expressions) {
        Set<String> result = new TreeSet<>();
        for (String each : expressions) {
            Matcher matcher = METRIC.matcher(each);
            while (matcher.find()) {
                result.add(matcher.group());
            }
        }
        return result;
    }

    /** The host path of a bind mount, in short ({@code ./src:/dst:ro}) or long ({@code type: bind}) syntax. */
    private static Optional<String> bindSource(JsonNode volume) {
        String source = volume.isTextual() ? volume.asText().split(":", 2)[0]
                : "bind".equals(volume.path("type").asText()) ? volume.path("source").asText() : "";
        return source.startsWith("./") || source.startsWith("../") ? Optional.of(source) : Optional.empty();
    }

    /** The argument of the last USER instruction after the last FROM, if any. */
    private static Optional<String> finalStageUser(String dockerfile) {
        Optional<String> result = Optional.empty();
        for (String each : finalStage(dockerfile)) {
            if (each.startsWith("USER ")) {
                result = Optional.of(each.substring("USER ".length()).strip());
            }
        }
        return result;
    }

    private static boolean isRoot(String user) {
        String name = user.split(":", 2)[0];
        return name.equals("root") || name.equals("0");
    }

    /** The instructions from the last FROM on, continuation lines joined, comments and blank lines dropped. */
    private static List<String> finalStage(String dockerfile) {
        List<String> result = new ArrayList<>();
        String joined = dockerfile.replaceAll("\\\\\\r?\\n", " ");
        for (String line : joined.split("\\r?\\n")) {
            String each = line.strip().replaceAll("\\s+", " ");
            if (each.isEmpty() || each.startsWith("#")) {
                continue;
            }
            if (each.regionMatches(true, 0, "FROM ", 0, 5)) {
                result.clear();
            }
            result.add(each);
        }
        return result;
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> result = new TreeSet<>();
        node.fieldNames().forEachRemaining(result::add);
        return result;
    }

    private static List<String> texts(JsonNode array) {
        List<String> result = new ArrayList<>();
        array.forEach(each -> result.add(each.asText()));
        return result;
    }

    /** The checkout this test runs in: the nearest directory above the working directory with proxy/pom.xml. */
    private static Path repositoryRoot() {
        for (Path each = Path.of("").toAbsolutePath(); each != null; each = each.getParent()) {
            if (Files.isRegularFile(each.resolve("proxy/pom.xml")) && Files.isRegularFile(each.resolve("pom.xml"))) {
                return each;
            }
        }
        throw new IllegalStateException("no pgroute checkout above " + Path.of("").toAbsolutePath());
    }
}
