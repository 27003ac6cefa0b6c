package io.pgroute.proxy.session;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SharedValuesTest {

    @Test
    void equalValuesComeBackAsTheFirstInstance() {
        SharedValues<String> shared = new SharedValues<>(1 << 20, String::length);
        String first = shared.of(new String("DateStyle"));
        assertThat(shared.of(new String("DateStyle"))).isSameAs(first);
        assertThat(shared.of("ISO")).isEqualTo("ISO").isNotSameAs(first);
        Map<String, String> told = new HashMap<>(Map.of("datestyle", "ISO, MDY"));
        SharedValues<Map<String, String>> maps = new SharedValues<>(1 << 20, Map::size);
        assertThat(maps.of(new HashMap<>(Map.of("datestyle", "ISO, MDY")))).isSameAs(maps.of(told))
                .isNotSameAs(told);
    }

    @Test
    void keepsNoMoreThanItsWeight() {
        SharedValues<String> shared = new SharedValues<>(100, String::length);
        String big = "x".repeat(1_000);
        assertThat(shared.of(big)).isSameAs(big);
        String again = new String(big);
        assertThat(shared.of(again)).as("too heavy to be kept: the value given").isSameAs(again);
    }
}
