package io.pgroute.proxy.session;

import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.Classifier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SequenceStateTest {

    @Test
    void findsCurrvalAndLastvalInAnyCaseAndPlace() {
        assertThat(SequenceState.mentions("SELECT currval('t_id_seq')")).isTrue();
        assertThat(SequenceState.mentions("select LASTVAL()")).isTrue();
        assertThat(SequenceState.mentions("SELECT pg_catalog.CurrVal($1)")).isTrue();
        assertThat(SequenceState.mentions("currval")).isTrue();
        assertThat(SequenceState.mentions("lastval")).isTrue();
    }

    @Test
    void ignoresTextWithoutThem() {
        assertThat(SequenceState.mentions("")).isFalse();
        assertThat(SequenceState.mentions("SELECT nextval('s')")).isFalse();
        assertThat(SequenceState.mentions("SELECT interval '1 day'")).isFalse();
        assertThat(SequenceState.mentions("currva")).isFalse();
        assertThat(SequenceState.mentions("val")).isFalse();
    }

    private static final Classifier CLASSIFIER = new Classifier(new BuiltinFunctions(), 100);

    /** As {@link SequenceState#ran} judges a statement: by its shape. */
    private static boolean mayAdvance(String sql) {
        io.pgroute.proxy.sql.StatementInfo info = CLASSIFIER.classify(sql);
        assertThat(info.fingerprint()).isNotNull();
        return SequenceState.mayAdvance(info, info.fingerprint());
    }

    @Test
    void trustsAConnectionsValuesAfterWhatMayCallNextval() {
        assertThat(mayAdvance("INSERT INTO t (who) VALUES ('a') RETURNING id")).isTrue();
        assertThat(mayAdvance("WITH x AS (INSERT INTO t DEFAULT VALUES RETURNING id) SELECT id FROM x")).isTrue();
        assertThat(mayAdvance("SELECT nextval('s')")).isTrue();
        assertThat(mayAdvance("UPDATE t SET id = DEFAULT WHERE id = 1")).isTrue();
        assertThat(mayAdvance("SELECT create_order(1)")).as("a function pgroute does not know").isTrue();
        assertThat(mayAdvance("DO $$ BEGIN PERFORM 1; END $$")).isTrue();
        assertThat(mayAdvance("CALL make_rows()")).isTrue();
        assertThat(mayAdvance("COPY t FROM STDIN")).isTrue();
    }

    @Test
    void doesNotTrustThemAfterWhatCannot() {
        assertThat(mayAdvance("UPDATE t SET n = n + 1 WHERE id = 1")).isFalse();
        assertThat(mayAdvance("DELETE FROM t WHERE id = 1")).isFalse();
        assertThat(mayAdvance("SELECT who, lower(who) FROM t WHERE id = 1")).isFalse();
        assertThat(mayAdvance("SET search_path = app")).isFalse();
        assertThat(mayAdvance("CREATE TABLE u (id int)")).isFalse();
    }

    @Test
    void judgesTheShapeSoThatEveryTextOfItGetsOneVerdict() {
        // the words in a literal or a comment call nothing, and a text of the same shape without them must not
        // get another verdict from a memo of the shape's
        assertThat(mayAdvance("SELECT id FROM t WHERE who = 'insert nextval default'")).isFalse();
        assertThat(mayAdvance("SELECT id FROM t WHERE who = 'x' /* merge */")).isFalse();
        assertThat(mayAdvance("SELECT id FROM t WHERE who = 'x'")).isFalse();
    }
}
