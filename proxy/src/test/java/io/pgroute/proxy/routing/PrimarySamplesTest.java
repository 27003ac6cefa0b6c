package io.pgroute.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrimarySamplesTest {

    @Test
    void answersNothingBeforeTheFirstSample() {
        PrimarySamples samples = new PrimarySamples(4);

        assertThat(samples.latestLsn()).isEqualTo(Lsn.INVALID);
        assertThat(samples.latestNanos()).isZero();
        assertThat(samples.firstAfter(0)).isEqualTo(Lsn.INVALID);
        assertThat(samples.firstSeenAbove(0)).isEqualTo(-1);
    }

    @Test
    void watermarkIsTheFirstPositionSeenAfterTheCommit() {
        PrimarySamples samples = new PrimarySamples(16);
        samples.add(100, 10);
        samples.add(200, 20);
        samples.add(300, 30);

        assertThat(samples.firstAfter(5)).isEqualTo(100);
        assertThat(samples.firstAfter(10)).isEqualTo(200);
        assertThat(samples.firstAfter(25)).isEqualTo(300);
        assertThat(samples.firstAfter(30)).isEqualTo(Lsn.INVALID);
    }

    @Test
    void mergesRepeatedPositionsAndKeepsTheirLastSighting() {
        PrimarySamples samples = new PrimarySamples(2);
        samples.add(100, 10);
        samples.add(100, 20);
        samples.add(100, 30);

        assertThat(samples.latestNanos()).isEqualTo(30);
        assertThat(samples.firstAfter(25)).isEqualTo(100);
        assertThat(samples.firstSeenAbove(99)).isEqualTo(10);
        assertThat(samples.firstSeenAbove(100)).isEqualTo(-1);
    }

    @Test
    void lagTimeStartsWhenThePrimaryFirstPassedTheReplica() {
        PrimarySamples samples = new PrimarySamples(16);
        samples.add(100, 10);
        samples.add(200, 20);
        samples.add(200, 25);
        samples.add(300, 30);

        assertThat(samples.firstSeenAbove(50)).isEqualTo(10);
        assertThat(samples.firstSeenAbove(100)).isEqualTo(20);
        assertThat(samples.firstSeenAbove(250)).isEqualTo(30);
        assertThat(samples.firstSeenAbove(300)).isEqualTo(-1);
    }

    @Test
    void forgetsTheOldestWhenFull() {
        PrimarySamples samples = new PrimarySamples(4);
        for (int i = 1; i <= 10; i++) {
            samples.add(i * 100L, i * 10L);
        }

        assertThat(samples.firstAfter(0)).as("oldest kept").isEqualTo(700);
        assertThat(samples.firstSeenAbove(0)).isEqualTo(70);
        assertThat(samples.firstAfter(85)).isEqualTo(900);
        assertThat(samples.latestLsn()).isEqualTo(1000);
    }
}
