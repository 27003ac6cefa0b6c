package io.pgroute.proxy.admin;

import io.pgroute.config.ConfigLoader;
import io.pgroute.config.ProxyConfig;
import io.pgroute.protocol.SqlState;
import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.Classifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** EXPLAIN ROUTE without replicas or cache: the classifier's verdict and the columns. */
class RouteExplainerTest {

    private final Classifier classifier = new Classifier(new BuiltinFunctions(), 100);
    private RouteExplainer explainer;

    @BeforeEach
    void setUp() throws Exception {
        ProxyConfig config = ConfigLoader.parse("users:\n  admin: { password: a, admin: true }\n"
                + "databases:\n  app:\n    primary: { host: 127.0.0.1, port: 1 }\n"
                + "  Reports:\n    primary: { host: 127.0.0.1, port: 2 }\n", "test.yaml", name -> null);
        explainer = new RouteExplainer(config, classifier, Map.of(), null, "admin");
    }

    @AfterEach
    void tearDown() {
        classifier.close();
    }

    private Map<String, Object> explain(String database, String sql) {
        AdminResult result = explainer.explain(new AdminCommand.ExplainRoute(database, sql)).join();
        assertThat(result.rows()).hasSize(1);
        Map<String, Object> row = new java.util.LinkedHashMap<>();
        for (int i = 0; i < result.columns().size(); i++) {
            row.put(result.columns().get(i).name(), result.rows().get(0)[i]);
        }
        return row;
    }

    @Test
    void aWriteGoesToThePrimaryNamingItsTables() {
        Map<String, Object> row = explain(null, "INSERT INTO orders SELECT * FROM cart WHERE id = nextval('s')");
        assertThat(row).containsEntry("database", "app").containsEntry("kind", "WRITE")
                .containsEntry("read_only", false).containsEntry("target", "primary")
                .containsEntry("reason", "write").containsEntry("tables_read", "cart")
                .containsEntry("tables_written", "orders").containsEntry("functions", "nextval")
                .containsEntry("cacheable", false).containsEntry("cache_ttl_seconds", null)
                .containsEntry("cache_key", null).containsEntry("invalidates", "");
    }

    @Test
    void aReadWithoutReplicasStaysOnThePrimaryAndSaysWhy() {
        Map<String, Object> row = explain("reports", "SELECT * FROM b, a");
        assertThat(row).containsEntry("database", "Reports").containsEntry("kind", "READ")
                .containsEntry("read_only", true).containsEntry("target", "primary")
                .containsEntry("reason", "read; no replicas").containsEntry("tables_read", "a,b");
    }

    @Test
    void hintsAndVolatileFunctionsAreTheReason() {
        assertThat(explain(null, "/* pgroute: primary */ SELECT 1")).containsEntry("target", "primary")
                .containsEntry("reason", "hint primary");
        assertThat(explain(null, "SELECT nextval('s')")).containsEntry("read_only", false)
                .containsEntry("reason", "volatile function nextval");
        assertThat(explain(null, "/* pgroute: replica */ SELECT nextval('s')"))
                .containsEntry("reason", "hint replica (volatile function nextval); no replicas");
    }

    @Test
    void anUnknownDatabaseIsAnError() {
        assertThatThrownBy(() -> explain("nope", "SELECT 1")).isInstanceOfSatisfying(AdminException.class, e -> {
            assertThat(e.sqlState()).isEqualTo(SqlState.INVALID_CATALOG_NAME);
            assertThat(e.hint()).contains("app", "Reports");
        });
    }

    @Test
    void describesTheSameColumnsItAnswers() {
        AdminResult result = explainer.explain(new AdminCommand.ExplainRoute(null, "SELECT 1")).join();
        assertThat(result.columns()).isEqualTo(RouteExplainer.columns().columns());
        assertThat(result.columns()).extracting(AdminResult.Column::name).containsExactly("database", "kind",
                "read_only", "target", "reason", "tables_read", "tables_written", "functions", "cacheable",
                "cache_ttl_seconds", "cache_key", "invalidates");
    }
}
