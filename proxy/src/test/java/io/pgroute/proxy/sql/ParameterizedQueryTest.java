package io.pgroute.proxy.sql;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class ParameterizedQueryTest {

    private static ParameterizedQuery of(String sql) {
        return ParameterizedQuery.of(sql);
    }

    @Test
    void pgbenchsStatementsBecomeOneTextEach() {
        ParameterizedQuery update = of("UPDATE pgbench_accounts SET abalance = abalance + -4211 WHERE aid = 84512;");
        assertThat(update.text()).isEqualTo("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;");
        assertThat(update.values()).containsExactly("-4211", "84512");
        assertThat(update.parameterTypes()).containsExactly(ParameterizedQuery.INT4, ParameterizedQuery.INT4);
        assertThat(update.returnsRows()).isFalse();

        ParameterizedQuery insert = of("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
                + "VALUES (18, 6, 393534, -2381, CURRENT_TIMESTAMP);");
        assertThat(insert.text()).isEqualTo("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
                + "VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP);");
        assertThat(insert.values()).containsExactly("18", "6", "393534", "-2381");

        ParameterizedQuery select = of("SELECT abalance FROM pgbench_accounts WHERE aid = 7;");
        assertThat(select.text()).isEqualTo("SELECT abalance FROM pgbench_accounts WHERE aid = $1;");
        assertThat(select.returnsRows()).isTrue();
        assertThat(of("SELECT abalance FROM pgbench_accounts WHERE aid = 123456;").text()).isEqualTo(select.text());
    }

    @Test
    void typesAreTheLiteralsOwn() {
        assertThat(of("SELECT a FROM t WHERE a = 2147483647").parameterTypes()).containsExactly(ParameterizedQuery.INT4);
        assertThat(of("SELECT a FROM t WHERE a = 2147483648").parameterTypes()).containsExactly(ParameterizedQuery.INT8);
        assertThat(of("SELECT a FROM t WHERE a = -2147483648").parameterTypes())
                .as("the sign is part of the value, as PostgreSQL folds it").containsExactly(ParameterizedQuery.INT4);
        assertThat(of("SELECT a FROM t WHERE a = -2147483649").parameterTypes()).containsExactly(ParameterizedQuery.INT8);
        assertThat(of("SELECT a FROM t WHERE a = 9223372036854775807").parameterTypes())
                .containsExactly(ParameterizedQuery.INT8);
        assertThat(of("SELECT a FROM t WHERE a = 9223372036854775808").parameterTypes())
                .containsExactly(ParameterizedQuery.NUMERIC);
        assertThat(of("SELECT a FROM t WHERE a = -9223372036854775808").parameterTypes())
                .containsExactly(ParameterizedQuery.INT8);
        assertThat(of("SELECT a FROM t WHERE a = 000000000000000000000012").parameterTypes())
                .containsExactly(ParameterizedQuery.INT4);
        assertThat(of("SELECT a FROM t WHERE a = 1.5 OR a = .5 OR a = 5.").parameterTypes())
                .containsExactly(ParameterizedQuery.NUMERIC, ParameterizedQuery.NUMERIC, ParameterizedQuery.NUMERIC);
    }

    @Test
    void listsAndRowsTakeParameters() {
        assertThat(of("SELECT a FROM t WHERE a IN (1, -2, 3) AND b NOT IN (4)").text())
                .isEqualTo("SELECT a FROM t WHERE a IN ($1, $2, $3) AND b NOT IN ($4)");
        assertThat(of("INSERT INTO t VALUES (1, 2), (3, 4) ON CONFLICT (a) DO UPDATE SET b = 5").text())
                .isEqualTo("INSERT INTO t VALUES ($1, $2), ($3, $4) ON CONFLICT (a) DO UPDATE SET b = $5");
        assertThat(of("DELETE FROM t WHERE a = 1 RETURNING a").returnsRows()).isTrue();
        assertThat(of("UPDATE t SET a = a - 1 WHERE b > 2 AND c <= 3").text())
                .isEqualTo("UPDATE t SET a = a - $1 WHERE b > $2 AND c <= $3");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT 1",                                           // a select-list literal
        "SELECT a, 2 FROM t",
        "SELECT a FROM t ORDER BY 1",                         // a column position
        "SELECT a, count(*) FROM t GROUP BY 1",
        "SELECT a FROM t LIMIT 10 OFFSET 5",
        "SELECT f(1, 2) FROM t",                              // a function's arguments
        "SELECT a FROM t WHERE a = 1::bigint",                // before a cast
        "SELECT a FROM t WHERE b = a[1]",                     // a subscript
        "SELECT a FROM t WHERE a::numeric(10, 2) > a",        // type modifiers
        "SELECT a FROM t WHERE a = 'x'",                      // strings stay
        "SELECT a FROM t WHERE a = 1e3",                      // not plain decimal
        "SELECT a FROM t WHERE a = 0x1F",
        "SELECT a FROM t WHERE a = 1_000",
        "SELECT a FROM t WHERE a = 5 COLLATE \"C\"",
        "SELECT a FROM t WHERE a BETWEEN 1 AND 5",
        "SELECT a FROM t WHERE a IN (1::int)",
        "SELECT a FROM t WHERE a =-1",                        // one operator token "=-": left as written
        "SELECT a FROM t WHERE a = $1",                       // the server's error to give
        "SELECT a FROM t WHERE a = 1; SELECT 2",              // two statements
        "SELECT a INTO u FROM t WHERE a = 1",                 // creates a table
        "SET work_mem = 1000",
        "EXPLAIN SELECT a FROM t WHERE a = 1",
        "WITH x AS (SELECT 1) SELECT a FROM t WHERE a = 1",
        "CREATE TABLE t (a numeric(10, 2) DEFAULT 0)",
    })
    void leavesAloneWhatAParameterWouldChange(String sql) {
        assertThat(of(sql)).isNull();
    }

    @Test
    void aSubtractionIsNotASign() {
        ParameterizedQuery query = of("SELECT a FROM t WHERE b = a - 1 AND c = - 2");
        assertThat(query.text()).isEqualTo("SELECT a FROM t WHERE b = a - $1 AND c = $2");
        assertThat(query.values()).containsExactly("1", "-2");
        assertThat(of("SELECT a FROM t WHERE b = (a) - 1").values()).containsExactly("1");
    }

    @Test
    void anErrorPositionMovesToTheClientsText() {
        String sql = "SELECT x FROM t WHERE a = 123456 AND nosuch = 7";
        ParameterizedQuery query = of(sql);
        assertThat(query.text()).isEqualTo("SELECT x FROM t WHERE a = $1 AND nosuch = $2");
        int inText = query.text().indexOf("nosuch") + 1;
        assertThat(query.clientPosition(inText)).isEqualTo(sql.indexOf("nosuch") + 1);
        assertThat(query.clientPosition(query.text().indexOf("$1") + 1)).as("in a parameter: its literal")
                .isEqualTo(sql.indexOf("123456") + 1);
        assertThat(query.clientPosition(query.text().indexOf("$2") + 2)).isEqualTo(sql.indexOf("7") + 1);
        assertThat(query.clientPosition(8)).as("before the first").isEqualTo(8);
        assertThat(query.clientPosition(query.text().length() + 5)).as("past the end stays in range")
                .isEqualTo(sql.length() + 1);
    }

    @Test
    void positionsCountCharactersNotUtf16Units() {
        String sql = "SELECT '\uD83D\uDE00' FROM t WHERE a = 123456 AND nosuch = 7";
        ParameterizedQuery query = of(sql);
        int inText = query.text().codePointCount(0, query.text().indexOf("nosuch")) + 1;
        assertThat(query.clientPosition(inText)).isEqualTo(sql.codePointCount(0, sql.indexOf("nosuch")) + 1);
    }

    @Test
    void aLongTextOrTooManyLiteralsStaysAsWritten() {
        StringBuilder values = new StringBuilder("INSERT INTO t VALUES (0)");
        for (int i = 1; i < ParameterizedQuery.MAX_PARAMETERS; i++) {
            values.append(", (").append(i).append(')');
        }
        assertThat(of(values.toString())).isNotNull();
        assertThat(of(values + ", (1)")).as("one literal too many").isNull();
        assertThat(of("SELECT a FROM t WHERE a = 1 " + " ".repeat(ParameterizedQuery.MAX_LENGTH))).isNull();
    }

    @Test
    void aStatementWithoutRowsIsOneWriteWithoutReturning() {
        assertThat(ParameterizedQuery.returnsNoRows("UPDATE t SET a = $1 WHERE b = $2;")).isTrue();
        assertThat(ParameterizedQuery.returnsNoRows("/* c */ insert into t values ($1)")).isTrue();
        assertThat(ParameterizedQuery.returnsNoRows("DELETE FROM t")).isTrue();
        assertThat(ParameterizedQuery.returnsNoRows("DELETE FROM t RETURNING *")).isFalse();
        assertThat(ParameterizedQuery.returnsNoRows("UPDATE t SET a = 1; SELECT 1")).isFalse();
        assertThat(ParameterizedQuery.returnsNoRows("SELECT a FROM t")).isFalse();
        assertThat(ParameterizedQuery.returnsNoRows("WITH x AS (DELETE FROM t RETURNING a) INSERT INTO u SELECT a FROM x"))
                .isFalse();
        assertThat(ParameterizedQuery.returnsNoRows("updated")).isFalse();
        assertThat(ParameterizedQuery.returnsNoRows("")).isFalse();
    }

    @Test
    void commentsStayAndHideNothing() {
        ParameterizedQuery query = of("/* pgroute: primary */ SELECT a FROM t WHERE a = 1 -- 2\n AND b = 3");
        assertThat(query.text()).isEqualTo("/* pgroute: primary */ SELECT a FROM t WHERE a = $1 -- 2\n AND b = $2");
    }
}
