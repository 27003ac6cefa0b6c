package io.pgroute.proxy.routing;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class WriteMarksTest {

    @Test
    void aReadWaitsOnlyForWritesThatReachedItsTables() {
        WriteMarks marks = new WriteMarks();
        assertThat(marks.newestFor(List.of("accounts"))).isZero();
        assertThat(marks.newest()).isZero();

        marks.wrote(Set.of("accounts", "history"), 100);
        marks.wrote(Set.of("branches"), 200);

        assertThat(marks.newestFor(List.of("accounts"))).isEqualTo(100);
        assertThat(marks.newestFor(List.of("accounts", "branches"))).isEqualTo(200);
        assertThat(marks.newestFor(List.of("tellers"))).isZero();
        assertThat(marks.newestFor(List.of())).isZero();
        assertThat(marks.newest()).isEqualTo(200);
    }

    @Test
    void aWriteOfUnknownTablesCountsForEveryRead() {
        WriteMarks marks = new WriteMarks();
        marks.wrote(Set.of("accounts"), 100);
        marks.wroteAnything(150);
        marks.wrote(Set.of("accounts"), 120);  // acknowledged earlier, marked later: marks never go back

        assertThat(marks.newestFor(List.of("tellers"))).isEqualTo(150);
        assertThat(marks.newestFor(List.of("accounts"))).isEqualTo(150);
        assertThat(marks.newest()).isEqualTo(150);
        marks.wrote(Set.of("accounts"), 300);
        assertThat(marks.newestFor(List.of("accounts"))).isEqualTo(300);
        assertThat(marks.newestFor(List.of())).isEqualTo(150);
    }

    @Test
    void timesAreComparedAcrossTheNanoTimeWrap() {
        WriteMarks marks = new WriteMarks();
        marks.wrote(Set.of("a"), Long.MAX_VALUE - 10);
        marks.wrote(Set.of("a"), Long.MIN_VALUE + 10);  // 21 ns later
        assertThat(marks.newestFor(List.of("a"))).isEqualTo(Long.MIN_VALUE + 10);
        assertThat(marks.newest()).isEqualTo(Long.MIN_VALUE + 10);
    }

    @Test
    void pastTheBoundANewTableRaisesTheMarkOfEveryRead() {
        WriteMarks marks = new WriteMarks();
        for (int i = 0; i < WriteMarks.MAX_TABLES; i++) {
            marks.wrote(Set.of("t" + i), 10);
        }
        assertThat(marks.newestFor(List.of("other"))).isZero();
        marks.wrote(Set.of("t1"), 20);  // known: its own mark
        assertThat(marks.newestFor(List.of("other"))).isZero();
        marks.wrote(Set.of("new"), 30);  // no room: every read waits for it
        assertThat(marks.newestFor(List.of("other"))).isEqualTo(30);
        assertThat(marks.newestFor(List.of("new"))).isEqualTo(30);
    }
}
