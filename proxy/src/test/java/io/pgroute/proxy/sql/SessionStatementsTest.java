package io.pgroute.proxy.sql;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** What a SET leaves for the session layer to replay on other connections. */
class SessionStatementsTest {

    private static Classifier classifier;

    @BeforeAll
    static void start() {
        classifier = new Classifier(new BuiltinFunctions(), 1000);
    }

    @AfterAll
    static void stop() {
        classifier.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"SET transaction_isolation = 'serializable'", "SET SESSION transaction_isolation TO "
            + "'repeatable read'", "SET transaction_read_only = off", "SET transaction_deferrable = on",
            "RESET transaction_isolation", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "SET CONSTRAINTS ALL DEFERRED", "SET LOCAL search_path = a"})
    void transactionScopedSettingsAreNeverSessionSettings(String sql) {
        assertThat(classifier.classify(sql).setting()).hasValueSatisfying(each -> assertThat(each.local())
                .as("lasts only for the transaction, so never replayed").isTrue());
    }

    @ParameterizedTest
    @ValueSource(strings = {"SET default_transaction_isolation = 'serializable'", "SET search_path = a",
            "SET SESSION statement_timeout = 5", "RESET statement_timeout"})
    void sessionSettingsAreKept(String sql) {
        assertThat(classifier.classify(sql).setting()).hasValueSatisfying(each -> assertThat(each.local())
                .isFalse());
    }
}
