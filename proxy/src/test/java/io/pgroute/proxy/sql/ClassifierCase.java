package io.pgroute.proxy.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;

/** One row of the classifier table: the SQL and what must be true of its classification. */
final class ClassifierCase {
    private final String sql;
    private final StatementKind kind;
    private final boolean readOnly;
    private final String reason;
    private Set<String> reads;
    private Set<String> writes;
    private Set<String> functions;
    private Boolean locking;
    private Boolean parsed;
    private Boolean transactionReadOnly;

    private ClassifierCase(String sql, StatementKind kind, boolean readOnly, String reason) {
        this.sql = sql;
        this.kind = kind;
        this.readOnly = readOnly;
        this.reason = reason;
    }

    /** A read that may go to a replica. */
    static ClassifierCase read(String sql, StatementKind kind) {
        return new ClassifierCase(sql, kind, true, null);
    }

    /** A statement for the primary, with (part of) its reason. */
    static ClassifierCase primary(String sql, StatementKind kind, String reason) {
        return new ClassifierCase(sql, kind, false, reason);
    }

    ClassifierCase reads(String... tables) {
        reads = Set.of(tables);
        return this;
    }

    ClassifierCase writes(String... tables) {
        writes = Set.of(tables);
        return this;
    }

    ClassifierCase calls(String... names) {
        functions = Set.of(names);
        return this;
    }

    ClassifierCase locking() {
        locking = true;
        return this;
    }

    ClassifierCase unparsed() {
        parsed = false;
        return this;
    }

    ClassifierCase readOnlyTransaction(boolean value) {
        transactionReadOnly = value;
        return this;
    }

    String sql() {
        return sql;
    }

    void check(StatementInfo info) {
        assertThat(info.kind()).as("kind of %s (%s)", sql, info.reason()).isEqualTo(kind);
        assertThat(info.readOnly()).as("readOnly of %s (%s)", sql, info.reason()).isEqualTo(readOnly);
        if (reason != null) {
            assertThat(info.reason()).as("reason of %s", sql).contains(reason);
        }
        if (reads != null) {
            assertThat(info.tablesRead()).as("tables read by %s", sql).isEqualTo(reads);
        }
        if (writes != null) {
            assertThat(info.tablesWritten()).as("tables written by %s", sql).isEqualTo(writes);
        }
        if (functions != null) {
            assertThat(info.functions()).as("functions of %s", sql).isEqualTo(functions);
        }
        if (locking != null) {
            assertThat(info.lockingClause()).as("locking clause of %s", sql).isEqualTo(locking);
        }
        if (parsed != null) {
            assertThat(info.parsed()).as("parsed %s", sql).isEqualTo(parsed);
        }
        if (transactionReadOnly != null) {
            assertThat(info.transactionReadOnly()).as("transactionReadOnly of %s", sql).isEqualTo(transactionReadOnly);
        }
    }

    @Override
    public String toString() {
        return sql.isBlank() ? "(blank: '" + sql.replace("\n", "\\n") + "')" : sql;
    }
}
