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

    @Test
    void whatThePrimaryShowedIsItsInsertedWalOnceWritten() {
        PrimarySamples samples = new PrimarySamples(16);
        samples.add(100, 100, 10);
        assertThat(samples.visibleAfter(5, 1_000)).as("nothing pending: written = inserted").isEqualTo(100);

        samples.add(100, 180, 20);  // an asynchronous commit (or an open transaction) inserted 180, not written yet
        assertThat(samples.visibleAfter(15, 1_000)).as("replicas cannot reach 180 yet").isEqualTo(Lsn.INVALID);
        assertThat(samples.latestLsn()).as("lag is measured against the written WAL").isEqualTo(100);

        samples.add(200, 220, 30);  // written past 180
        assertThat(samples.visibleAfter(15, 1_000)).isEqualTo(180);
        assertThat(samples.visibleAfter(25, 1_000)).as("220 inserted then, not written yet").isEqualTo(Lsn.INVALID);
        samples.add(230, 230, 40);
        assertThat(samples.visibleAfter(25, 1_000)).as("inserted at the first sample after").isEqualTo(220);
    }

    @Test
    void walNeverWrittenWaitsAtMostTheWalWritersDelay() {
        PrimarySamples samples = new PrimarySamples(16);
        samples.add(100, 180, 20);   // an open transaction's WAL, not written while nothing commits
        samples.add(120, 300, 500);  // asynchronous commits are written within the delay: 120 has them all
        assertThat(samples.visibleAfter(15, 1_000)).isEqualTo(Lsn.INVALID);
        samples.add(130, 400, 1_100);
        assertThat(samples.visibleAfter(15, 1_000)).as("written at the first sample past the delay")
                .isEqualTo(130);
        assertThat(samples.visibleAfter(15, 50)).as("a shorter delay: the sample at 500").isEqualTo(120);
    }

    @Test
    void samplesThatMoveNeitherPositionShareOneEntry() {
        PrimarySamples samples = new PrimarySamples(2);
        samples.add(100, 150, 10);
        samples.add(100, 150, 20);
        samples.add(100, 150, 30);
        assertThat(samples.firstAfter(25)).isEqualTo(100);
        assertThat(samples.firstSeenAbove(50)).as("one entry, seen first at 10").isEqualTo(10);
        samples.add(100, 160, 40);  // only the inserted position moved: a new entry, same written position
        assertThat(samples.firstSeenAbove(50)).as("lag counts from when the written WAL passed 50").isEqualTo(10);
    }
}
