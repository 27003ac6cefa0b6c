package io.pgroute.proxy.sql;

import static io.pgroute.proxy.sql.SqlScanner.fingerprint;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class FingerprintTest {

    @Test
    void givesThePgbenchScriptSevenShapesWhateverTheLiterals() {
        PgbenchStatements pgbench = new PgbenchStatements(7);
        Set<String> shapes = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            pgbench.transaction().forEach(each -> shapes.add(fingerprint(each)));
        }
        assertThat(shapes).containsExactlyInAnyOrder(
                "begin",
                "update pgbench_accounts set abalance = abalance + ? where aid = ?",
                "select abalance from pgbench_accounts where aid = ?",
                "update pgbench_tellers set tbalance = tbalance + ? where tid = ?",
                "update pgbench_branches set bbalance = bbalance + ? where bid = ?",
                "insert into pgbench_history(tid, bid, aid, delta, mtime) values(?, ?, ?, ?, current_timestamp)",
                "end");
    }

    @Test
    void replacesEveryKindOfLiteral() {
        assertThat(fingerprint("SELECT 1, 1.5, .5, 1e-3, 0x1F, 1_000, 'it''s', E'a\\'b', U&'d\\0061t', "
                + "B'101', X'1F', N'n', $$dollar$$, $tag$ $$ ; $tag$ FROM t"))
                .isEqualTo("select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? from t");
        assertThat(fingerprint("select interval '1 day', date '2024-01-01', '5'::int"))
                .isEqualTo("select interval ?, date ?, ? :: int");
    }

    @Test
    void replacesAFunctionBody() {
        assertThat(fingerprint("CREATE FUNCTION f() RETURNS int AS $body$ select 1; $body$ LANGUAGE sql"))
                .isEqualTo(fingerprint("create function f() returns int as $$ select 2 $$ language sql"))
                .isEqualTo("create function f() returns int as ? language sql");
    }

    @Test
    void foldsTheSignOfANegativeNumberButNotASubtraction() {
        assertThat(fingerprint("select a + -4211, (-1), f(1, -2), x = -3, y =- 4, z +-5 from t"))
                .isEqualTo("select a + ?, (?), f(?, ?), x = ?, y = ?, z + ? from t");
        assertThat(fingerprint("select a - 1, a-1, -1, - - 2, a @- 1 from t"))
                .isEqualTo("select a - ?, a - ?, ?, - ?, a @- ? from t");
    }

    @Test
    void keepsParameters() {
        assertThat(fingerprint("SELECT * FROM t WHERE id = $1 AND b = $2"))
                .isEqualTo("select * from t where id = $1 and b = $2");
        assertThat(fingerprint("select $1")).isNotEqualTo(fingerprint("select $2"));
    }

    @Test
    void foldsUnquotedNamesAndKeepsQuotedOnes() {
        assertThat(fingerprint("SELECT Abc FROM Foo")).isEqualTo(fingerprint("select abc from foo"));
        assertThat(fingerprint("select * from \"Foo\"")).isNotEqualTo(fingerprint("select * from \"foo\""))
                .isNotEqualTo(fingerprint("select * from foo")).isEqualTo("select * from \"Foo\"");
        assertThat(fingerprint("select * from U&\"d\\0061t\" UESCAPE '!'"))
                .isEqualTo("select * from U&\"d\\0061t\" uescape '!'");
        // non-ASCII names fold as the root locale folds them; ASCII ones only A-Z
        assertThat(fingerprint("SELECT ÉCLAIR_Ø, Ab$C FROM T")).isEqualTo("select éclair_ø, ab$c from t");
        assertThat(Fingerprint.of("ſET x = 1").literalSensitive()).isFalse();  // not SET: no ASCII folding of ſ
    }

    @Test
    void growsPastTheLengthOfTheText() {
        // spaces around operators make the shape longer than the text
        assertThat(fingerprint("/*pgroute:primary*/a=b+c*d-e/f")).isEqualTo("/* pgroute: primary */ a = b + c * d - e / f");
    }

    @Test
    void collapsesWhitespaceAndDropsCommentsAndEmptyStatements() {
        assertThat(fingerprint("  select\n\t a ,b   -- trailing\n from /* inner */ t ;;  "))
                .isEqualTo("select a, b from t");
        assertThat(fingerprint("select 1; select 'x';")).isEqualTo("select ?; select ?");
        assertThat(fingerprint(";;")).isEmpty();
        assertThat(fingerprint("select\u000Ba\f,b\rfrom t")).as("vertical tab, form feed, carriage return")
                .isEqualTo("select a, b from t");
    }

    @Test
    void readsWhiteSpaceAndDigitsAsPostgreSqlDoes() {
        // above 0x7F every character is part of an identifier in PostgreSQL's scanner, spaces and digits of other
        // scripts too: "a\u3000b" is one name there, not two
        assertThat(fingerprint("select a\u3000b from t")).isEqualTo("select a\u3000b from t");
        assertThat(fingerprint("select a\u2028from t")).isEqualTo("select a\u2028from t");
        assertThat(fingerprint("select x\u0663 from t where id = 7")).isEqualTo("select x\u0663 from t where id = ?");
    }

    @Test
    void keepsLeadingHintsInCanonicalForm() {
        assertThat(fingerprint("/* pgroute: primary */ SELECT 1")).isNotEqualTo(fingerprint("SELECT 1"))
                .isEqualTo(fingerprint("-- PGROUTE: Primary\nselect 2"))
                .isEqualTo("/* pgroute: primary */ select ?");
        assertThat(fingerprint("/* pgroute: replica, nocache, ttl=30s */ select 1"))
                .isEqualTo("/* pgroute: replica nocache ttl=30000ms */ select ?");
        assertThat(fingerprint("/* pgroute: cache ttl=30s */ select 1"))
                .isNotEqualTo(fingerprint("/* pgroute: cache ttl=60s */ select 1"));
        assertThat(fingerprint("/* just a comment */ select 1")).isEqualTo(fingerprint("select 1"));
        assertThat(fingerprint("select 1 /* pgroute: primary */")).isEqualTo(fingerprint("select 1"));
    }

    @Test
    void keepsIdentifiersThatStatementsReport() {
        assertThat(fingerprint("SAVEPOINT a")).isNotEqualTo(fingerprint("SAVEPOINT b"));
        assertThat(fingerprint("NOTIFY jobs, 'x'")).isNotEqualTo(fingerprint("NOTIFY mail, 'x'"));
        assertThat(fingerprint("FETCH 10 FROM c1")).isNotEqualTo(fingerprint("FETCH 10 FROM c2"));
        assertThat(fingerprint("EXECUTE p1(1)")).isNotEqualTo(fingerprint("EXECUTE p2(1)"));
    }

    @Test
    void marksLiteralsAndStatementsThatReadThem() {
        assertThat(Fingerprint.of("select * from t where id = $1").literals()).isFalse();
        assertThat(Fingerprint.of("select * from t where id = 1").literals()).isTrue();
        assertThat(Fingerprint.of("select 1").literalSensitive()).isFalse();
        assertThat(Fingerprint.of("SET x = 'a'").literalSensitive()).isTrue();
        assertThat(Fingerprint.of("/* c */ select 1; Explain (analyze 0) select 1").literalSensitive()).isTrue();
        assertThat(Fingerprint.of("select 'set'").literalSensitive()).isFalse();
        assertThat(Fingerprint.of("DO $$ begin perform 1; end $$").literalSensitive()).isTrue();
    }

    @Test
    void foldsKeywordsAndNamesInAnyCaseAlike() {
        assertThat(fingerprint("SELECT Abalance FROM PGBENCH_accounts WHERE aid = 1 AND x Is NOT Null"))
                .isEqualTo(fingerprint("select abalance from pgbench_accounts where aid = 2 and x is not null"))
                .isEqualTo("select abalance from pgbench_accounts where aid = ? and x is not null");
        // a keyword's letters inside a longer word, and a name that differs from a keyword only in length
        assertThat(fingerprint("SELECT SELECTED, FROMS, Wher FROM T")).isEqualTo("select selected, froms, wher from t");
        // letters beyond ASCII are folded too, as before
        assertThat(fingerprint("SELECT ÄBC FROM Tä")).isEqualTo("select äbc from tä");
    }
}
