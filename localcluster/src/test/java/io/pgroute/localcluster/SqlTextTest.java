package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SqlTextTest {

    @Test
    void doublesQuotesInIdentifiersAndLiterals() {
        assertThat(SqlText.identifier("we\"ird")).isEqualTo("\"we\"\"ird\"");
        assertThat(SqlText.literal("it's")).isEqualTo("'it''s'");
        assertThat(SqlText.literal("back\\slash")).isEqualTo("'back\\slash'");
    }

    @Test
    void rejectsEmptyNamesAndNulBytes() {
        assertThatThrownBy(() -> SqlText.identifier("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SqlText.literal("a\0b")).isInstanceOf(IllegalArgumentException.class);
    }
}
