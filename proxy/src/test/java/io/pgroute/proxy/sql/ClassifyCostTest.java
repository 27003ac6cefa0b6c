package io.pgroute.proxy.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Prints what one classification of a pgbench statement costs; a report, not a timed assertion. */
class ClassifyCostTest {

    @Test
    void printsCostPerClassificationOfPgbenchStatements() {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 10_000)) {
            PgbenchStatements pgbench = new PgbenchStatements(42);
            run(classifier, pgbench, 5_000);
            int transactions = 20_000;
            long start = System.nanoTime();
            int calls = run(classifier, pgbench, transactions);
            long elapsed = System.nanoTime() - start;
            System.out.printf("classify: %d calls, %.1f us/call, %d cached%n", calls, elapsed / 1e3 / calls,
                    classifier.cachedCount());
            assertThat(calls).isEqualTo(transactions * 7);
        }
    }

    @Test
    void printsCostPerFingerprintOfPgbenchStatements() {
        PgbenchStatements pgbench = new PgbenchStatements(43);
        List<String> statements = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            statements.addAll(pgbench.transaction());
        }
        long length = 0;
        for (String each : statements) {
            length += SqlScanner.fingerprint(each).length();
        }
        long start = System.nanoTime();
        for (String each : statements) {
            length += SqlScanner.fingerprint(each).length();
        }
        long elapsed = System.nanoTime() - start;
        System.out.printf("fingerprint: %d calls, %.2f us/call%n", statements.size(),
                elapsed / 1e3 / statements.size());
        assertThat(length).isPositive();
    }

    private static int run(Classifier classifier, PgbenchStatements pgbench, int transactions) {
        int result = 0;
        for (int i = 0; i < transactions; i++) {
            List<String> statements = pgbench.transaction();
            for (String each : statements) {
                classifier.classify(each);
                result++;
            }
        }
        return result;
    }
}
