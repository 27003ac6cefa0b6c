package io.pgroute.proxy.admin;

import io.pgroute.protocol.SqlState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdminCommandParserTest {

    @Test
    void readsEveryShowTopicCaseInsensitively() {
        for (AdminCommand.Topic each : AdminCommand.Topic.values()) {
            assertThat(AdminCommandParser.parse("show " + each.name().toLowerCase().replace('_', ' ')))
                    .isEqualTo(new AdminCommand.Show(each));
        }
        assertThat(AdminCommandParser.parse("  ShOw\n\tNodes ;  ")).isEqualTo(
                new AdminCommand.Show(AdminCommand.Topic.NODES));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", ";", " ; ", "-- nothing\n", "/* nothing */"})
    void emptyQueriesAreEmpty(String sql) {
        assertThat(AdminCommandParser.parse(sql)).isEqualTo(new AdminCommand.Empty());
    }

    @Test
    void normalizesTableNamesLikePostgresql() {
        assertThat(AdminCommandParser.parse("CACHE INVALIDATE ALL")).isEqualTo(new AdminCommand.InvalidateCache(null));
        assertThat(AdminCommandParser.parse("cache invalidate Products;"))
                .isEqualTo(new AdminCommand.InvalidateCache("products"));
        assertThat(AdminCommandParser.parse("CACHE INVALIDATE public.Orders"))
                .isEqualTo(new AdminCommand.InvalidateCache("orders"));
        assertThat(AdminCommandParser.parse("CACHE INVALIDATE \"Sales\".\"Mixed Case\""))
                .isEqualTo(new AdminCommand.InvalidateCache("Mixed Case"));
        assertThat(AdminCommandParser.parse("CACHE INVALIDATE \"all\""))
                .isEqualTo(new AdminCommand.InvalidateCache("all"));
    }

    @Test
    void readsKillShutdownAndSet() {
        assertThat(AdminCommandParser.parse("kill client 42")).isEqualTo(new AdminCommand.KillClient(42));
        assertThat(AdminCommandParser.parse("SHUTDOWN;")).isEqualTo(new AdminCommand.Shutdown());
        assertThat(AdminCommandParser.parse("SET extra_float_digits = 3"))
                .isEqualTo(new AdminCommand.Set("extra_float_digits", "3"));
        assertThat(AdminCommandParser.parse("SET application_name = 'PostgreSQL JDBC Driver'"))
                .isEqualTo(new AdminCommand.Set("application_name", "PostgreSQL JDBC Driver"));
        assertThat(AdminCommandParser.parse("set session TimeZone to 'UTC'"))
                .isEqualTo(new AdminCommand.Set("timezone", "UTC"));
    }

    @Test
    void readsTransactionControlAsDriversSendIt() {
        assertThat(AdminCommandParser.parse("BEGIN")).isEqualTo(new AdminCommand.Transaction("BEGIN", true));
        assertThat(AdminCommandParser.parse("start transaction isolation level read committed, read only;"))
                .isEqualTo(new AdminCommand.Transaction("BEGIN", true));
        assertThat(AdminCommandParser.parse("commit work")).isEqualTo(new AdminCommand.Transaction("COMMIT", false));
        assertThat(AdminCommandParser.parse("END")).isEqualTo(new AdminCommand.Transaction("COMMIT", false));
        assertThat(AdminCommandParser.parse("ROLLBACK")).isEqualTo(new AdminCommand.Transaction("ROLLBACK", false));
        assertThat(AdminCommandParser.parse("abort")).isEqualTo(new AdminCommand.Transaction("ROLLBACK", false));
        assertThatThrownBy(() -> AdminCommandParser.parse("START")).isInstanceOf(AdminException.class);
    }

    @Test
    void readsShowCacheTablesAsTwoWordsOnly() {
        assertThat(AdminCommandParser.parse("Show Cache\n Tables;"))
                .isEqualTo(new AdminCommand.Show(AdminCommand.Topic.CACHE_TABLES));
        assertThat(AdminCommandParser.parse("SHOW CACHE")).isEqualTo(new AdminCommand.Show(AdminCommand.Topic.CACHE));
        assertThatThrownBy(() -> AdminCommandParser.parse("SHOW CACHE_TABLES")).isInstanceOf(AdminException.class);
        assertThatThrownBy(() -> AdminCommandParser.parse("SHOW CACHE TABLES x")).isInstanceOf(AdminException.class);
    }

    @Test
    void explainRouteTakesTheStatementVerbatim() {
        assertThat(AdminCommandParser.parse("EXPLAIN ROUTE SELECT * FROM products"))
                .isEqualTo(new AdminCommand.ExplainRoute(null, "SELECT * FROM products"));
        assertThat(AdminCommandParser.parse("  explain\n route   INSERT INTO t VALUES ('a;b', \"X\"\"y\");  \n"))
                .isEqualTo(new AdminCommand.ExplainRoute(null, "INSERT INTO t VALUES ('a;b', \"X\"\"y\")"));
        assertThat(AdminCommandParser.parse("/* lead */ EXPLAIN ROUTE SELECT 'it''s' ; "))
                .isEqualTo(new AdminCommand.ExplainRoute(null, "SELECT 'it''s'"));
        assertThat(AdminCommandParser.parse("EXPLAIN ROUTE SELECT 1; SELECT 2;"))
                .isEqualTo(new AdminCommand.ExplainRoute(null, "SELECT 1; SELECT 2"));
        assertThat(AdminCommandParser.parse("EXPLAIN ROUTE SELECT $$ unbalanced ' quote $$"))
                .isEqualTo(new AdminCommand.ExplainRoute(null, "SELECT $$ unbalanced ' quote $$"));
        assertThat(AdminCommandParser.parse("EXPLAIN ROUTE select E'\\'' "))
                .isEqualTo(new AdminCommand.ExplainRoute(null, "select E'\\''"));
    }

    @Test
    void explainRouteKeepsTheStatementsHintComments() {
        assertThat(AdminCommandParser.parse("EXPLAIN ROUTE /* pgroute: primary */ SELECT 1"))
                .isEqualTo(new AdminCommand.ExplainRoute(null, "/* pgroute: primary */ SELECT 1"));
        assertThat(AdminCommandParser.parse("EXPLAIN ROUTE FOR app -- pgroute: replica\nSELECT 1"))
                .isEqualTo(new AdminCommand.ExplainRoute("app", "-- pgroute: replica\nSELECT 1"));
    }

    @Test
    void explainRouteForNamesTheDatabaseLikeAnIdentifier() {
        assertThat(AdminCommandParser.parse("EXPLAIN ROUTE FOR App SELECT 1"))
                .isEqualTo(new AdminCommand.ExplainRoute("app", "SELECT 1"));
        assertThat(AdminCommandParser.parse("explain route for \"Sales DB\" UPDATE t SET a = 1;"))
                .isEqualTo(new AdminCommand.ExplainRoute("Sales DB", "UPDATE t SET a = 1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"EXPLAIN ROUTE", "EXPLAIN ROUTE ;", "explain route  ;  ", "EXPLAIN ROUTE FOR",
            "EXPLAIN ROUTE FOR app", "EXPLAIN ROUTE FOR app ;", "EXPLAIN ROUTE FOR 'app' SELECT 1", "EXPLAIN",
            "EXPLAIN SELECT 1"})
    void explainRouteNeedsAStatement(String sql) {
        assertThatThrownBy(() -> AdminCommandParser.parse(sql)).isInstanceOfSatisfying(AdminException.class,
                e -> assertThat(e.sqlState()).isEqualTo(SqlState.SYNTAX_ERROR));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SHOW NONSENSE", "SHOW", "SELECT 1", "KILL CLIENT", "KILL CLIENT x", "SHOW NODES; SHOW POOLS",
            "SHOW NODES;;", "CACHE INVALIDATE", "CACHE INVALIDATE 'x'", "CACHE INVALIDATE \"\"", "SHOW 'nodes'",
            "SHOW /* open", "CACHE INVALIDATE a.b.c.d", "KILL CLIENT 99999999999999999999"})
    void refusesAnythingElseWithAHint(String sql) {
        assertThatThrownBy(() -> AdminCommandParser.parse(sql)).isInstanceOfSatisfying(AdminException.class, e -> {
            assertThat(e.sqlState()).isEqualTo(SqlState.SYNTAX_ERROR);
        });
    }

    @Test
    void syntaxErrorsNameTheCommands() {
        assertThatThrownBy(() -> AdminCommandParser.parse("SHOW NONSENSE"))
                .isInstanceOfSatisfying(AdminException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("syntax error at or near \"NONSENSE\"");
                    assertThat(e.hint()).contains("SHOW HELP", "CACHE INVALIDATE", "KILL CLIENT", "EXPLAIN ROUTE",
                            "STATS", "ERRORS", "CACHE TABLES");
                });
    }
}
