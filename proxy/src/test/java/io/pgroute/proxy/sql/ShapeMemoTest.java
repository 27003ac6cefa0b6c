package io.pgroute.proxy.sql;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ShapeMemoTest {

    @Test
    void computesOncePerClassificationAmongTheLastOnesAndAgainAfterAClear() {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 100)) {
            ShapeMemo<String> memo = new ShapeMemo<>();
            List<StatementInfo> computed = new ArrayList<>();
            java.util.function.Function<StatementInfo, String> compute = each -> {
                computed.add(each);
                return each.fingerprint();
            };
            StatementInfo first = classifier.classify("select id from t where id = 1");
            StatementInfo sameShape = classifier.classify("select id from t where id = 2");
            assertThat(sameShape).as("texts of a shape share a classification").isSameAs(first);

            assertThat(memo.get(first, compute)).isEqualTo(first.fingerprint());
            assertThat(memo.get(sameShape, compute)).isEqualTo(first.fingerprint());
            assertThat(computed).hasSize(1);

            for (int i = 0; i < ShapeMemo.SIZE - 1; i++) {
                memo.get(classifier.classify("select id" + ", id".repeat(i + 1) + " from t"), compute);
            }
            memo.get(first, compute);
            assertThat(computed).as("still among the last %d", ShapeMemo.SIZE).hasSize(ShapeMemo.SIZE);
            memo.get(classifier.classify("select name from t"), compute);
            memo.get(first, compute);
            assertThat(computed).as("pushed out by the %dth other one", ShapeMemo.SIZE).hasSize(ShapeMemo.SIZE + 2);

            memo.clear();
            memo.get(first, compute);
            assertThat(computed).as("after a clear").hasSize(ShapeMemo.SIZE + 3);
        }
    }
}
