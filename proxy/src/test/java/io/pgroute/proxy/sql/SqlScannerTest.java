package io.pgroute.proxy.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class SqlScannerTest {

    private static List<String> texts(String sql) {
        return SqlScanner.scan(sql).statements().stream().map(SqlScanner.Segment::text).toList();
    }

    @Test
    void splitsOnSemicolonsAndDropsEmptyStatements() {
        assertThat(texts("select 1; select 2;;  ;\n select 3")).containsExactly("select 1", "select 2", "select 3");
        assertThat(texts(";;")).isEmpty();
        assertThat(texts("  -- only a comment\n /* and another */ ; ")).isEmpty();
    }

    @Test
    void ignoresSemicolonsInCommentsAndNestedCommentsAndDropsTrailingComments() {
        assertThat(texts("select 1 -- a; b\n; select /* x; /* nested; */ still; */ 2"))
                .containsExactly("select 1", "select /* x; /* nested; */ still; */ 2");
    }

    @Test
    void ignoresSemicolonsInStringsWithDoubledQuotes() {
        assertThat(texts("select 'it''s; fine'; select 2")).containsExactly("select 'it''s; fine'", "select 2");
    }

    @Test
    void readsEscapeStringsWithBackslashQuote() {
        assertThat(texts("select E'it\\'s; still' ; select 2")).containsExactly("select E'it\\'s; still'",
                "select 2");
        assertThat(texts("select e'\\\\'; select 3")).containsExactly("select e'\\\\'", "select 3");
    }

    @Test
    void standardStringBackslashIsNotAnEscape() {
        assertThat(texts("select 'a\\'; select 2")).containsExactly("select 'a\\'", "select 2");
    }

    @Test
    void readsDollarQuotesWithTagsAndQuotesInside() {
        String body = "create function f() returns int as $body$ select 1; select 'x;' $$ $body$ language sql";
        assertThat(texts(body + "; select 2")).containsExactly(body, "select 2");
        assertThat(texts("select $$it's; here$$; select $a$ $b$ ; $a$")).containsExactly("select $$it's; here$$",
                "select $a$ $b$ ; $a$");
    }

    @Test
    void distinguishesParametersAndDollarIdentifiersFromDollarQuotes() {
        assertThat(texts("select $1; select a$b$ from t; select 3")).containsExactly("select $1",
                "select a$b$ from t", "select 3");
        List<Token> tokens = SqlScanner.tokenize("select $1, a$b", 10);
        assertThat(tokens).extracting(Token::type).containsExactly(Token.Type.WORD, Token.Type.PARAM,
                Token.Type.PUNCT, Token.Type.WORD);
    }

    @Test
    void readsQuotedIdentifiersWithSemicolonsAndDoubledQuotes() {
        assertThat(texts("select \"a;\"\"b\" from t; select 2")).containsExactly("select \"a;\"\"b\" from t",
                "select 2");
        Token ident = SqlScanner.tokenize("\"My;\"\"Table\"", 1).get(0);
        assertThat(ident.type()).isEqualTo(Token.Type.QUOTED_IDENT);
        assertThat(ident.value()).isEqualTo("My;\"Table");
    }

    @Test
    void readsUnicodeStringsAndIdentifiers() {
        List<Token> tokens = SqlScanner.tokenize("U&'d\\0061t;a' U&\"x;y\"", 10);
        assertThat(tokens).extracting(Token::type).containsExactly(Token.Type.STRING, Token.Type.QUOTED_IDENT);
    }

    @Test
    void keepsSemicolonsInsideParenthesesAndBeginAtomicBodies() {
        String rule = "create rule r as on insert to t do also (insert into a values (1); insert into b values (2))";
        assertThat(texts(rule + "; select 1")).containsExactly(rule, "select 1");
        String atomic = "create function f() returns int language sql begin atomic select case when true then 1 end;"
                + " select 2; end";
        assertThat(texts(atomic + "; commit")).containsExactly(atomic, "commit");
    }

    @Test
    void lowerCasesWordsAndKeepsOffsetsRelativeToTheStatement() {
        SqlScanner.Segment segment = SqlScanner.scan("  ; /* c */ BEGIN Read ONLY").statements().get(0);
        assertThat(segment.tokens()).extracting(Token::value).containsExactly("begin", "read", "only");
        assertThat(segment.textFrom(segment.tokens().get(1))).isEqualTo("Read ONLY");
    }

    @Test
    void blanksCommentsAndNonStandardLiteralsForTheParser() {
        SqlScanner.Segment segment = SqlScanner.scan("select /* a /* b */ */ E'x\\'y', $t$'$t$ -- tail").statements()
                .get(0);
        assertThat(segment.parserText()).isEqualTo("select   '', ''  ");
    }

    @Test
    void readsHintsInLeadingCommentsOnly() {
        Hints hints = SqlScanner.scan("/* pgroute: replica */ -- pgroute: nocache\n select 1").hints();
        assertThat(hints.hint()).isEqualTo(Hint.REPLICA);
        assertThat(hints.noCache()).isTrue();
        assertThat(SqlScanner.scan("select /* pgroute: primary */ 1").hints()).isEqualTo(Hints.NONE);
        assertThat(SqlScanner.scan("select 1; /* pgroute: primary */ select 2").hints()).isEqualTo(Hints.NONE);
        assertThat(SqlScanner.scan("/* not a hint */ select 1").hints()).isEqualTo(Hints.NONE);
    }

    @Test
    void readsNocacheAndCacheTtlHints() {
        Hints nocache = SqlScanner.scan("/*pgroute:nocache*/select 1").hints();
        assertThat(nocache.hint()).isEqualTo(Hint.NOCACHE);
        Hints ttl = SqlScanner.scan("/* pgroute: cache ttl=30s */ select 1").hints();
        assertThat(ttl.cacheTtl()).contains(Duration.ofSeconds(30));
        assertThat(ttl.hint()).isEqualTo(Hint.NONE);
        assertThat(SqlScanner.scan("/* PGROUTE: PRIMARY, cache ttl=250ms */ select 1").hints())
                .isEqualTo(new Hints(Hint.PRIMARY, false, java.util.Optional.of(Duration.ofMillis(250))));
    }

    @Test
    void unterminatedConstructsRunToTheEnd() {
        assertThat(texts("select 'abc; def")).containsExactly("select 'abc; def");
        assertThat(texts("select $$abc; def")).containsExactly("select $$abc; def");
        assertThat(texts("select 1 /* abc; /* */ def; select 2")).containsExactly("select 1");
    }

    @Test
    void keepsOnlyTheFirstTokensOfLongStatements() {
        String sql = "insert into t values " + "(1),".repeat(1000) + "(2)";
        SqlScanner.Segment segment = SqlScanner.scan(sql).statements().get(0);
        assertThat(segment.tokens()).hasSize(SqlScanner.MAX_TOKENS);
        assertThat(segment.truncated()).isTrue();
        assertThat(segment.allTokens()).hasSize(4 + 4 * 1000 + 3);
    }

    @Test
    void eachTokenOfALongStatementIsLexedAsThePassGoes() {
        String sql = "select f(x) /* c */ from t where id in (" + "1, ".repeat(1000) + "s.g(2))";
        SqlScanner.Segment segment = SqlScanner.scan(sql).statements().get(0);
        assertThat(segment.truncated()).isTrue();
        assertThat(segment.eachToken()).as("the same tokens as the list, comments excluded")
                .containsExactlyElementsOf(segment.allTokens());
        SqlScanner.Segment shortOne = SqlScanner.scan("select 1").statements().get(0);
        assertThat(shortOne.eachToken()).isSameAs(shortOne.tokens());
    }

    @Test
    void eachTokenOfAStatementOfMillionsOfTokensHoldsNoListOfThem() {
        // 4 million values in an IN list (30 MB): listing its 8 million tokens took more than a 512 MB heap, and
        // the proxy answered 53200 to a statement PostgreSQL runs
        StringBuilder sql = new StringBuilder("select count(*) from t where id in (0");
        for (int i = 1; i < 4_000_000; i++) {
            sql.append(',').append(i);
        }
        sql.append(')');
        SqlScanner.Segment segment = SqlScanner.scan(sql.toString()).statements().get(0);
        Runtime runtime = Runtime.getRuntime();
        long before = usedAfterGc(runtime);
        long count = 0;
        for (Token ignored : segment.eachToken()) {
            if (++count == 4_000_000) {
                // the lexer's copy of the text (60 MB of chars) is held while the pass goes; a list of the 4 million
                // tokens so far would hold more than 300 MB
                assertThat(usedAfterGc(runtime) - before).as("held while iterating").isLessThan(128L << 20);
            }
        }
        assertThat(count).isEqualTo(11 + (2 * 4_000_000 - 1) + 1);  // up to "in (", the values and commas, ")"
    }

    private static long usedAfterGc(Runtime runtime) {
        System.gc();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private static String parserText(String sql) {
        return SqlScanner.scan(sql).statements().get(0).parserText();
    }

    @Test
    void theParserTextKeepsTheFirstElementsOfALongListOfLiterals() {
        StringBuilder in = new StringBuilder("select * from t where id in (");
        for (int i = 1; i <= 5000; i++) {
            in.append(i).append(i < 5000 ? ", " : ") and b = 'x'");
        }
        assertThat(parserText(in.toString())).isEqualTo("select * from t where id in (1, 2, 3, 4, 5, 6, 7, 8) and b = 'x'");
        assertThat(parserText("select * from t where id in (1 * 2, -3, 4 + 5, 6 / 7, 8 % 9, 10 || 'a', 11, 12, 13)"))
                .as("arithmetic on constants is a literal too")
                .isEqualTo("select * from t where id in (1 * 2, -3, 4 + 5, 6 / 7, 8 % 9, 10 || 'a', 11, 12)");
        assertThat(parserText("select * from t where id in ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
                .isEqualTo("select * from t where id in ($1, $2, $3, $4, $5, $6, $7, $8)");
        assertThat(parserText("insert into t values (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f'),"
                + " (7, 'g'), (8, 'h'), (9, 'i'), (10, E'j\\''), (11, null) on conflict (id) do nothing"))
                .as("the first row belongs to the statement's first element; an E-string in a row left out goes too")
                .isEqualTo("insert into t values (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f'), (7, 'g'),"
                        + " (8, 'h'), (9, 'i'), (11, null) on conflict (id) do nothing");
        StringBuilder casts = new StringBuilder("insert into t values ($1, $2)");
        for (int i = 3; i < 23; i += 2) {
            casts.append(", ($").append(i).append("::int, $").append(i + 1).append("::timestamp with time zone)");
        }
        assertThat(parserText(casts.toString())).as("casts to a type are part of a literal")
                .endsWith(", ($15::int, $16::timestamp with time zone), ($17::int, $18::timestamp with time zone)");
    }

    @Test
    void theParserTextKeepsEveryElementThatCallsOrNamesSomething() {
        StringBuilder values = new StringBuilder("insert into t values (0, 'a')");
        for (int i = 1; i <= 20; i++) {
            values.append(", (").append(i).append(i == 15 ? ", nextval('s'))" : i == 16 ? ", 1::int + f(2))" : ", 'v')");
        }
        String text = parserText(values.toString());
        assertThat(text).as("eight rows kept, then the run breaks at a call and starts again")
                .endsWith("(8, 'v'), (15, nextval('s')), (16, 1::int + f(2)), (17, 'v'), (18, 'v'), (19, 'v'), (20, 'v')");
        assertThat(parserText("select a, b, c, d, e, f, g, h, i, j, k from t"))
                .isEqualTo("select a, b, c, d, e, f, g, h, i, j, k from t");
        assertThat(parserText("select * from t where id in (select x from u), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"))
                .as("after an element that is not a literal, a new run of them starts")
                .isEqualTo("select * from t where id in (select x from u), 1, 2, 3, 4, 5, 6, 7, 8");
    }

    @Test
    void theParserTextLeavesOutElementsThatRepeatTheOneBeforeThem() {
        StringBuilder rows = new StringBuilder("insert into t values (0, 'a', now())");
        for (int i = 1; i <= 20; i++) {
            rows.append(", (nextval('s'), 'v").append(i).append("', now())");
        }
        assertThat(parserText(rows.toString())).as("the first row is part of the statement's first element")
                .endsWith("(nextval('s'), 'v8', now()), (nextval('s'), 'v9', now())");
        StringBuilder alternating = new StringBuilder("select * from t where id in (");
        for (int i = 0; i < 20; i++) {
            alternating.append(i % 2 == 0 ? "abs(" : "ceil(").append(i).append(i < 19 ? "), " : "))");
        }
        assertThat(parserText(alternating.toString())).as("a repeat of any element before it, not only the last")
                .isEqualTo("select * from t where id in (abs(0), ceil(1), abs(2), ceil(3), abs(4), ceil(5), abs(6), "
                        + "ceil(7), abs(8), ceil(9))");
        StringBuilder distinct = new StringBuilder("select * from t where id in (");
        for (int i = 0; i < 20; i++) {
            distinct.append("f").append(i).append("(").append(i).append(i < 19 ? "), " : "))");
        }
        assertThat(parserText(distinct.toString())).as("calls of different functions are all kept")
                .isEqualTo(distinct.toString());
        StringBuilder subqueries = new StringBuilder("select * from t where id in (");
        for (int i = 0; i < 20; i++) {
            subqueries.append("(select a from t").append(i == 15 ? "_other" : "").append(")").append(i < 19 ? ", " : ")");
        }
        assertThat(parserText(subqueries.toString())).as("a subquery of another table is no repeat")
                .contains("(select a from t_other)").doesNotContain("(select a from t), (select a from t), "
                        + "(select a from t), (select a from t), (select a from t), (select a from t), (select a from t), "
                        + "(select a from t), (select a from t), (select a from t)");
    }

    @Test
    void aQuotedNameIsNoRepeatOfTheWordsItSpells() {
        for (String[] pair : new String[][] {{"\"x y\"", "x y"}, {"\"T\"", "T"}, {"\"a.b\"", "a.b"}}) {
            StringBuilder list = new StringBuilder("insert into t values ");
            for (int i = 0; i < 12; i++) {
                list.append("((select a from ").append(pair[0]).append(")), ");
            }
            list.append("((select a from ").append(pair[1]).append("))");
            assertThat(parserText(list.toString())).as(pair[1]).endsWith("((select a from " + pair[1] + "))");
        }
    }

    @Test
    void aSegmentKnowsHowDeepItsParenthesesNest() {
        assertThat(SqlScanner.scan("select 1").statements().get(0).depth()).isZero();
        assertThat(SqlScanner.scan("select f((1), (2)) from t where a in (select (b) from u)").statements().get(0)
                .depth()).isEqualTo(2);
    }
}
