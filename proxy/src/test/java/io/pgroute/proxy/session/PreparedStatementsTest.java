package io.pgroute.proxy.session;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PreparedStatementsTest {

    @Test
    void aStatementsServerNameDependsOnItsTextTypesAndSearchPathOnly() {
        String name = PreparedStatements.backendName("SELECT $1", new int[] {23}, null);
        assertThat(name).matches("pgr_[0-9a-f]{24}");
        assertThat(PreparedStatements.backendName(new String("SELECT $1"), new int[] {23}, null))
                .as("an equal text decoded again").isEqualTo(name);
        assertThat(PreparedStatements.backendName("SELECT $1", new int[] {25}, null)).isNotEqualTo(name);
        assertThat(PreparedStatements.backendName("SELECT $1", new int[0], null)).isNotEqualTo(name);
        assertThat(PreparedStatements.backendName("SELECT $1", new int[] {23}, "s1")).isNotEqualTo(name)
                .isEqualTo(PreparedStatements.backendName("SELECT $1", new int[] {23}, "s1"));
        assertThat(PreparedStatements.backendName("SELECT $2", new int[] {23}, null)).isNotEqualTo(name);
    }

    @Test
    void theTypesArrayOfALookupIsNotKept() {
        int[] types = {23};
        String name = PreparedStatements.backendName("SELECT $1 AS kept", types, null);
        types[0] = 25;
        assertThat(PreparedStatements.backendName("SELECT $1 AS kept", new int[] {23}, null)).isEqualTo(name);
        assertThat(PreparedStatements.backendName("SELECT $1 AS kept", new int[] {25}, null)).isNotEqualTo(name);
    }
}
