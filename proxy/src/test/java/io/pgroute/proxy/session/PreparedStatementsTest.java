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

    /** A text of 100 characters, and what a statement of it weighs. */
    private static final String TEXT = "x".repeat(100);
    private static final long EACH = 100 + io.pgroute.config.LimitsConfig.PREPARED_OVERHEAD;

    @Test
    void weighsItsStatementsAsTheyComeAndGo() {
        PreparedStatements statements = new PreparedStatements();
        long each = EACH;
        String text = TEXT;
        statements.define("a", text, new int[0]);
        statements.define("b", text, new int[0]);
        statements.define("", text, new int[0]);
        assertThat(statements.bytes()).isEqualTo(3 * each);
        statements.define("", "y", new int[0]);
        assertThat(statements.bytes()).as("the unnamed one replaced").isEqualTo(2 * each + 1 + (each - 100));
        statements.remove("a");
        statements.remove("never");
        assertThat(statements.bytes()).isEqualTo(each + 1 + (each - 100));

        var removed = statements.removeNamed();
        assertThat(statements.bytes()).as("the unnamed one stays").isEqualTo(1 + (each - 100));
        statements.define("b", "z", new int[0]);  // redefined before the DEALLOCATE ALL failed
        statements.restore(removed);
        assertThat(statements.get("b").sql()).isEqualTo("z");
        assertThat(statements.bytes()).isEqualTo(2 * (1 + (each - 100)));
        statements.clearNamed();
        assertThat(statements.bytes()).isEqualTo(1 + (each - 100));
        statements.clear();
        assertThat(statements.bytes()).isZero();
    }

    @Test
    void aNamedStatementFitsWithinTheLimitTheUnnamedOneAlways() {
        PreparedStatements statements = new PreparedStatements();
        long each = EACH;
        String text = TEXT;
        statements.define("a", text, new int[0]);
        assertThat(statements.fits("b", text, 2 * each)).isTrue();
        assertThat(statements.fits("b", text, 2 * each - 1)).isFalse();
        assertThat(statements.fits("", "x".repeat(10_000), 2 * each)).isTrue();
        assertThat(statements.fits("a", text, each)).as("replacing itself").isTrue();
    }

    @Test
    void clientsThatPrepareTheSameStatementHoldOneCopyOfItsText() {
        String text = "SELECT $1 AS shared_" + System.nanoTime();
        int[] types = {23};
        PreparedStatements.Statement first = new PreparedStatements().define("s1", text, types);
        types[0] = 25;  // the caller's array, reused for its next message
        PreparedStatements.Statement second = new PreparedStatements().define("S_1", new String(text), new int[] {23});
        assertThat(first.parameterTypes()).as("not the caller's array").containsExactly(23);
        assertThat(second.sql()).as("the other client's text, decoded from its own Parse").isSameAs(first.sql());
        assertThat(second.parameterTypes()).isSameAs(first.parameterTypes());
        assertThat(second.backendName()).isEqualTo(first.backendName());
        PreparedStatements.Statement other = new PreparedStatements().define("s1", new String(text), new int[] {25});
        assertThat(other.sql()).as("other parameter types: another statement").isNotSameAs(first.sql());
        assertThat(other.backendName()).isNotEqualTo(first.backendName());
    }

    @Test
    void knowsWhetherTheTextItDefinedRepeats() {
        PreparedStatements first = new PreparedStatements();
        PreparedStatements second = new PreparedStatements();
        String text = "SELECT $1 AS repeated_" + System.nanoTime();
        first.define("", text, new int[] {23});
        assertThat(first.lastDefinedRepeats()).as("a text never seen").isFalse();
        second.define("", new String(text), new int[] {23});
        assertThat(second.lastDefinedRepeats()).as("seen by another client").isTrue();
        first.define("", text, new int[] {25});
        assertThat(first.lastDefinedRepeats()).as("other parameter types").isFalse();
    }

    @Test
    void knowsWhetherTheRepeatedTextItDefinedReturnsNoRows() {
        PreparedStatements statements = new PreparedStatements();
        String suffix = "_" + System.nanoTime();
        String insert = "INSERT INTO t" + suffix + " VALUES ($1)";
        String returning = "INSERT INTO t" + suffix + " VALUES ($1) RETURNING id";
        String select = "SELECT $1 AS rows" + suffix;
        for (String text : new String[] {insert, returning, select}) {
            statements.define("", text, new int[0]);
            assertThat(statements.lastDefinedReturnsNoRows()).as("not repeated yet: %s", text).isFalse();
        }
        statements.define("", new String(insert), new int[0]);
        assertThat(statements.lastDefinedReturnsNoRows()).as(insert).isTrue();
        statements.define("", new String(returning), new int[0]);
        assertThat(statements.lastDefinedReturnsNoRows()).as(returning).isFalse();
        statements.define("", new String(select), new int[0]);
        assertThat(statements.lastDefinedReturnsNoRows()).as(select).isFalse();
        statements.define("", new String(insert), new int[0]);
        assertThat(statements.lastDefinedReturnsNoRows()).as("read once, kept: %s", insert).isTrue();
    }
}
