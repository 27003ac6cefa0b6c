package io.pgroute.proxy.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokensTest {

    @Test
    void theSameTextInstanceIsLexedOnceAndAnEqualOneAgain() {
        String sql = "SELECT 1 /* pgroute: primary */ FROM t";
        Tokens first = Tokens.of(sql);
        assertThat(first.sql()).isSameAs(sql);
        assertThat(Tokens.of(sql)).isSameAs(first);
        String equal = new String(sql.toCharArray());
        assertThat(Tokens.of(equal).sql()).isSameAs(equal);
        assertThat(render(Tokens.of(equal))).isEqualTo(lexed(sql));
    }

    @Test
    void tokensAreTheLexersWithCommentBodies() {
        String sql = "-- lead\nUPDATE t SET a = a + -4 WHERE id = 'x''y' /* note */;";
        assertThat(render(Tokens.of(sql))).isEqualTo(lexed(sql));
        Tokens tokens = Tokens.of(sql);
        assertThat(tokens.commentValue(0)).isEqualTo(" lead");
        assertThat(tokens.commentValue(tokens.count() - 2)).isEqualTo(" note ");
    }

    @Test
    void anotherTextReplacesTheKeptTokensAndTheFirstIsLexedAgainWhenAskedFor() {
        String a = "SELECT a FROM t WHERE id = 42";
        String b = "DELETE FROM u";
        Tokens.of(a);
        assertThat(render(Tokens.of(b))).isEqualTo(lexed(b));
        assertThat(render(Tokens.of(a))).isEqualTo(lexed(a));
        assertThat(Fingerprint.of(a).text()).isEqualTo("select a from t where id = ?");
        assertThat(ParameterizedQuery.of(a).text()).isEqualTo("SELECT a FROM t WHERE id = $1");
        assertThat(Fingerprint.of(b).text()).isEqualTo("delete from u");
    }

    @Test
    void aLongTextGetsTokensOfItsOwnAndLeavesTheKeptOnes() {
        String kept = "SELECT 1";
        Tokens short1 = Tokens.of(kept);
        String big = "SELECT " + "1 + ".repeat(Tokens.KEPT_LENGTH / 4) + "1";
        Tokens long1 = Tokens.of(big);
        assertThat(long1).isNotSameAs(short1).isNotSameAs(Tokens.of(big));
        assertThat(long1.count()).isEqualTo(2 * (Tokens.KEPT_LENGTH / 4) + 2);
        assertThat(Tokens.of(kept)).isSameAs(short1);
        assertThat(short1.sql()).isSameAs(kept);
    }

    @Test
    void manyTokensGrowTheArraysAndAShortTextAfterwardsStillReadsRight() {
        String many = "SELECT " + "a, ".repeat(3000) + "b";
        Tokens tokens = Tokens.of(many);
        assertThat(tokens.count()).isEqualTo(6002);
        assertThat(render(Tokens.of("SELECT x"))).isEqualTo(List.of("WORD SELECT", "WORD x"));
    }

    private static List<String> render(Tokens tokens) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < tokens.count(); i++) {
            out.add(tokens.type(i) + " " + tokens.sql().substring(tokens.start(i), tokens.end(i)));
        }
        return out;
    }

    /** The text lexed by a {@link Lexer} of its own, rendered as {@link #render} renders tokens. */
    private static List<String> lexed(String sql) {
        List<String> out = new ArrayList<>();
        Lexer lexer = new Lexer(sql);
        while (lexer.advance()) {
            out.add(lexer.type() + " " + sql.substring(lexer.start(), lexer.end()));
        }
        return out;
    }
}
