package io.pgroute.proxy.routing;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A primary's insert position read as the end of its last record, which is where a replica's replay stops. */
class NodeProbeTest {

    private static final long PAGE = 8192;
    private static final long SEGMENT = 16L << 20;

    @Test
    void anInsertPositionPastAPageHeaderIsTheEndOfThePagesLastRecord() {
        long page = 0x3000000L + 5 * PAGE;
        assertThat(NodeProbe.recordEnd(page + 24, PAGE, SEGMENT)).isEqualTo(page);
        assertThat(NodeProbe.recordEnd(0x3000000L + 40, PAGE, SEGMENT)).as("a segment's first page: long header")
                .isEqualTo(0x3000000L);
    }

    @Test
    void anInsertPositionInsideAPageIsKept() {
        long page = 0x3000000L + 5 * PAGE;
        assertThat(NodeProbe.recordEnd(page + 32, PAGE, SEGMENT)).isEqualTo(page + 32);
        assertThat(NodeProbe.recordEnd(page + 40, PAGE, SEGMENT)).as("40 bytes in, not a segment's start")
                .isEqualTo(page + 40);
        assertThat(NodeProbe.recordEnd(page + 24, 0, 0)).as("sizes not known yet").isEqualTo(page + 24);
        assertThat(NodeProbe.recordEnd(Lsn.INVALID, PAGE, SEGMENT)).isEqualTo(Lsn.INVALID);
    }
}
