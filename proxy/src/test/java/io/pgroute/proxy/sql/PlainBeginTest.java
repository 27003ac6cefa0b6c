package io.pgroute.proxy.sql;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class PlainBeginTest {

    @ParameterizedTest
    @ValueSource(strings = {"BEGIN", "begin;", "  Begin Work ; ", "BEGIN TRANSACTION", "begin\n\ttransaction;",
            "BEGIN ISOLATION LEVEL SERIALIZABLE", "begin isolation level repeatable read",
            "BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED READ WRITE", "begin read write isolation level read uncommitted"})
    void beginsAreAnsweredBegin(String sql) {
        assertThat(PlainBegin.tag(sql)).isEqualTo("BEGIN");
    }

    @ParameterizedTest
    @ValueSource(strings = {"START TRANSACTION", "start transaction;", "START TRANSACTION ISOLATION LEVEL SERIALIZABLE"})
    void startTransactionIsAnsweredStartTransaction(String sql) {
        assertThat(PlainBegin.tag(sql)).isEqualTo("START TRANSACTION");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ";", "BEGIN READ ONLY", "BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE",
            "BEGIN ISOLATION LEVEL SERIALIZABLE ISOLATION LEVEL SERIALIZABLE", "BEGIN READ WRITE READ WRITE",
            "BEGIN DEFERRABLE", "BEGIN NOT DEFERRABLE", "BEGIN ISOLATION LEVEL", "BEGIN ISOLATION LEVEL FOO",
            "BEGIN ISOLATION LEVEL REPEATABLE", "BEGIN WORK WORK", "/* x */ BEGIN", "BEGIN -- x", "BEGIN; SELECT 1",
            "BEGIN;;", "BEGIN\fWORK", "BEGIN\u3000", "\u2028BEGIN", "BEGIN\u0085", "\u017Ftart transaction", "BEG\u0130N", "START", "START TRANSACTION WORK", "COMMIT", "ROLLBACK", "BEGINS", "BEGIN ISOLATION LEVEL read",
            "begin transaction isolation level read uncommitted read write and more words that make it long enough"})
    void otherTextsAreNot(String sql) {
        assertThat(PlainBegin.tag(sql)).isNull();
    }
}
