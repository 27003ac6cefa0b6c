package io.pgroute.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeParserTest {

    @Test
    void readsABareIntegerAsBytes() {
        assertThat(ByteSizeParser.parse("65536")).hasValue(65_536);
        assertThat(ByteSizeParser.parse("100B")).hasValue(100);
    }

    @Test
    void usesPowersOf1024LikePostgresql() {
        assertThat(ByteSizeParser.parse("8kB")).hasValue(8_192);
        assertThat(ByteSizeParser.parse("8KiB")).hasValue(8_192);
        assertThat(ByteSizeParser.parse("64MB")).hasValue(67_108_864);
        assertThat(ByteSizeParser.parse("64MiB")).hasValue(67_108_864);
        assertThat(ByteSizeParser.parse("1GB")).hasValue(1_073_741_824);
        assertThat(ByteSizeParser.parse("2 GiB")).hasValue(2_147_483_648L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "kB", "-1", "1.5MB", "64mb", "64KB", "1TB", "1 GiB extra", "9223372036854775807GiB"})
    void rejectsAnythingElse(String text) {
        assertThat(ByteSizeParser.parse(text)).isEmpty();
    }
}
