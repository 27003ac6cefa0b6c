package io.pgroute.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationParserTest {

    @Test
    void parsesEveryUnit() {
        assertThat(DurationParser.parse("250ms")).contains(Duration.ofMillis(250));
        assertThat(DurationParser.parse("5s")).contains(Duration.ofSeconds(5));
        assertThat(DurationParser.parse("10m")).contains(Duration.ofMinutes(10));
        assertThat(DurationParser.parse("1h")).contains(Duration.ofHours(1));
        assertThat(DurationParser.parse("2d")).contains(Duration.ofDays(2));
    }

    @Test
    void readsABareIntegerAsSeconds() {
        assertThat(DurationParser.parse("45")).contains(Duration.ofSeconds(45));
        assertThat(DurationParser.parse("0")).contains(Duration.ZERO);
    }

    @Test
    void toleratesSpaceBeforeTheUnit() {
        assertThat(DurationParser.parse(" 3 s ")).contains(Duration.ofSeconds(3));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s", "-1s", "1.5h", "5 minutes", "1w", "10M", "1h30m", "PT5S", "999999999999999999d"})
    void rejectsAnythingElse(String text) {
        assertThat(DurationParser.parse(text)).isEmpty();
    }
}
