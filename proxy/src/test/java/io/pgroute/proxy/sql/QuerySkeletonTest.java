package io.pgroute.proxy.sql;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class QuerySkeletonTest {

    private static final String LONG = "x".repeat(QuerySkeleton.KEPT_LITERAL + 1);

    /** The skeleton of {@code text} fed in pieces of {@code piece} bytes, with the message's NUL at the end. */
    private static String skeleton(String text, int piece) {
        byte[] bytes = (text + "\0").getBytes(StandardCharsets.UTF_8);
        QuerySkeleton skeleton = new QuerySkeleton(1 << 20);
        for (int at = 0; at < bytes.length; at += piece) {
            skeleton.feed(Unpooled.wrappedBuffer(bytes, at, Math.min(piece, bytes.length - at)));
        }
        return skeleton.finish();
    }

    private static String skeleton(String text) {
        String whole = skeleton(text, Integer.MAX_VALUE);
        for (int piece : new int[] {1, 2, 3, 7}) {
            assertThat(skeleton(text, piece)).as("in pieces of %d", piece).isEqualTo(whole);
        }
        return whole;
    }

    @Test
    void keepsShortTextsAsTheyAre() {
        for (String text : new String[] {"SELECT 1", "SELECT 'it''s', E'a\\'b', \"we\"\"ird\", $1, a$b FROM t -- c\n",
                "SELECT $$body$$, $f$x$$y$f$ /* a /* nested */ comment */", "SET search_path = 'a', b",
                "select 'é' || U&'\\00e9'"}) {
            assertThat(skeleton(text)).isEqualTo(text);
        }
    }

    @Test
    void leavesOutTheContentsOfLongLiteralsAndComments() {
        assertThat(skeleton("INSERT INTO t VALUES (1, '" + LONG + "'); SELECT 2"))
                .isEqualTo("INSERT INTO t VALUES (1, ''); SELECT 2");
        assertThat(skeleton("INSERT INTO t VALUES (E'" + LONG + "\\'" + LONG + "', 'it''s')"))
                .isEqualTo("INSERT INTO t VALUES (E'', 'it''s')");
        assertThat(skeleton("INSERT INTO t VALUES ('" + LONG + "''" + LONG + "')"))
                .isEqualTo("INSERT INTO t VALUES ('')");
        assertThat(skeleton("CREATE FUNCTION f() RETURNS int AS $body$" + LONG + "$b$body$ LANGUAGE sql"))
                .isEqualTo("CREATE FUNCTION f() RETURNS int AS $body$$body$ LANGUAGE sql");
        assertThat(skeleton("/* " + LONG + " */ UPDATE t SET v = 1 -- " + LONG + "\nRETURNING 1"))
                .isEqualTo("/**/ UPDATE t SET v = 1 --\nRETURNING 1");
    }

    @Test
    void leavesOutTheRowsOfConstantsAfterTheFirstOfAValuesList() {
        assertThat(skeleton("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'),(-3.5e2, NULL) , (DEFAULT, E'\\''), (+1.5E+3, '{1}'::int[])"))
                .isEqualTo("INSERT INTO t (a, b) VALUES (1, 'x')");
        assertThat(skeleton("insert into t values(1, true),(2, false), ('2024-01-01'::date, date '2024-01-02') "
                + "ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING a; INSERT INTO u VALUES ($$x$$), ($t$y$t$)"))
                .isEqualTo("insert into t values(1, true) ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING a; "
                        + "INSERT INTO u VALUES ($$x$$)");
        assertThat(skeleton("SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v (n, s), (SELECT 1) w"))
                .isEqualTo("SELECT * FROM (VALUES (1, 'a')) v (n, s), (SELECT 1) w");
        assertThat(skeleton("INSERT INTO t VALUES (1, '" + LONG + "'), (2, '" + LONG + "')"))
                .as("long literals too").isEqualTo("INSERT INTO t VALUES (1, '')");
        assertThat(skeleton("INSERT INTO t VALUES (1, ')'), (2, '(,'), (3, 'it''s' /* ( */ -- )\n), (-- c\n-4 /**/)"))
                .as("parentheses and commas in literals and comments").isEqualTo("INSERT INTO t VALUES (1, ')')");
    }

    @Test
    void keepsTheRowsThatAreMoreThanConstants() {
        for (String text : new String[] {
                "INSERT INTO t VALUES (1), (nextval('s'))",               // a function call
                "INSERT INTO t VALUES (1), ((SELECT max(a) FROM u))",     // a subquery
                "INSERT INTO t VALUES (1), (\"a\")",                      // a quoted name
                "INSERT INTO t VALUES (1), (a)",                          // a name
                "INSERT INTO t VALUES (1), ('1'::timestamp with time zone)",  // a type of several words
                "INSERT INTO t VALUES (1), (set_config('a.b', 'c', false))",
                "INSERT INTO t VALUES (1), (2 +++ 3)",                    // an operator a function may implement
                "INSERT INTO t VALUES (1), ('a' || 'b')",
                "VALUES (1), (2) UNION VALUES (3)"}) {
            String kept = text.startsWith("VALUES") ? "VALUES (1) UNION VALUES (3)" : text;
            assertThat(skeleton(text)).as(text).isEqualTo(kept);
        }
        assertThat(skeleton("INSERT INTO t VALUES (1), (2), (f(3)), (4)")).as("the rows of constants around it go")
                .isEqualTo("INSERT INTO t VALUES (1), (f(3))");
        assertThat(skeleton("INSERT INTO t SELECT 1, 2 UNION SELECT (3), (4)")).as("not a VALUES list")
                .isEqualTo("INSERT INTO t SELECT 1, 2 UNION SELECT (3), (4)");
        assertThat(skeleton("SELECT \"values\" (1), (2) FROM t")).isEqualTo("SELECT \"values\" (1), (2) FROM t");
    }

    @Test
    void aBulkInsertOfConstantsFitsInAShortSkeleton() {
        StringBuilder text = new StringBuilder("INSERT INTO t (id, v) VALUES ");
        for (int i = 0; i < 100_000; i++) {
            text.append(i == 0 ? "" : ", ").append('(').append(i).append(", 'row ").append(i).append("')");
        }
        byte[] bytes = (text + "\0").getBytes(StandardCharsets.UTF_8);
        QuerySkeleton skeleton = new QuerySkeleton(Classifier.INLINE_LIMIT);
        skeleton.feed(Unpooled.wrappedBuffer(bytes));
        assertThat(bytes.length).isGreaterThan(20 * Classifier.INLINE_LIMIT);
        assertThat(skeleton.finish()).isEqualTo("INSERT INTO t (id, v) VALUES (0, 'row 0')");
    }

    @Test
    void isNoneWhereItWouldSayLessThanTheText() {
        assertThat(skeleton("SET application_name = '" + LONG + "'")).as("a SET's value").isNull();
        assertThat(skeleton("DO $$" + LONG + "$$")).as("a DO block's code").isNull();
        assertThat(skeleton("SELECT 1; SET work_mem = '" + LONG + "'")).as("in a later statement").isNull();
        assertThat(skeleton("SET work_mem = '7MB'; SELECT length('" + LONG + "')")).as("another statement's literal")
                .isEqualTo("SET work_mem = '7MB'; SELECT length('')");
        assertThat(skeleton("SELECT '" + LONG)).as("a literal not closed").isNull();
        QuerySkeleton small = new QuerySkeleton(16);
        small.feed(Unpooled.wrappedBuffer("SELECT 1, 2, 3, 4, 5, 6\0".getBytes(StandardCharsets.US_ASCII)));
        assertThat(small.finish()).as("longer than its limit").isNull();
    }
}
