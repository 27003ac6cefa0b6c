package io.pgroute.proxy.cache;

import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class AdmissionTest {

    @Test
    void aShapeThatNeverHitsIsLookedUpOnlyNowAndThen() {
        Admission admission = new Admission();
        String shape = "select * from t where id = ?";
        for (int i = 0; i < Admission.MIN_LOOKUPS - 1; i++) {
            assertThat(admission.admit(shape)).isTrue();
            admission.record(shape, false);
        }
        assertThat(admission.isCold(shape)).as("not judged before enough lookups").isFalse();
        admission.record(shape, false);
        assertThat(admission.isCold(shape)).isTrue();
        long admitted = IntStream.range(0, 64_000).filter(i -> admission.admit(shape)).count();
        assertThat(admitted).as("about 1 in " + Admission.SAMPLE).isBetween(700L, 1300L);
    }

    @Test
    void aShapeThatHitsStaysWarmAndAColdOneWarmsUpWhenItStartsHitting() {
        Admission admission = new Admission();
        String warm = "select * from t where id = ?";
        for (int i = 0; i < 1000; i++) {
            admission.record(warm, i % 10 == 0);
        }
        assertThat(admission.isCold(warm)).as("10 % hits").isFalse();
        String shape = "select * from u where id = ?";
        for (int i = 0; i < Admission.MIN_LOOKUPS; i++) {
            admission.record(shape, false);
        }
        assertThat(admission.isCold(shape)).isTrue();
        for (int i = 0; i < 20; i++) {
            admission.record(shape, true);
        }
        assertThat(admission.isCold(shape)).as("20 hits in 220 lookups").isFalse();
        assertThat(admission.admit("select 1")).as("an unknown shape").isTrue();
    }
}
