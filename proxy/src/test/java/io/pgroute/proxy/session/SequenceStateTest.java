package io.pgroute.proxy.session;

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
}
