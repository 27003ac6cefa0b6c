package io.pgroute.proxy.session;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GucTimeTest {

    @Test
    void readsTheFormsPostgresAccepts() {
        assertThat(GucTime.nanos("5000")).isEqualTo(5_000_000_000L);
        assertThat(GucTime.nanos("'5s'")).isEqualTo(5_000_000_000L);
        assertThat(GucTime.nanos("'5 s'")).isEqualTo(5_000_000_000L);
        assertThat(GucTime.nanos("'1min'")).isEqualTo(60_000_000_000L);
        assertThat(GucTime.nanos("'1.5s'")).isEqualTo(1_500_000_000L);
        assertThat(GucTime.nanos("'2h'")).isEqualTo(7_200_000_000_000L);
        assertThat(GucTime.nanos("'1d'")).isEqualTo(86_400_000_000_000L);
        assertThat(GucTime.nanos("'1500us'")).isEqualTo(2_000_000L);  // rounded to the millisecond
        assertThat(GucTime.nanos(" '250ms' ")).isEqualTo(250_000_000L);
    }

    @Test
    void noneAndUnreadable() {
        assertThat(GucTime.nanos(null)).isZero();
        assertThat(GucTime.nanos("0")).isZero();
        assertThat(GucTime.nanos("DEFAULT")).isZero();
        assertThat(GucTime.nanos("'5 fortnights'")).isEqualTo(-1);
    }
}
