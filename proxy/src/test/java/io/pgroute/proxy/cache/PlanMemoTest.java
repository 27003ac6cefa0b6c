package io.pgroute.proxy.cache;

import io.pgroute.config.CacheConfig;
import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.StatementInfo;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** A session's kept plans follow a reload of the cache rules and a new relation catalog at once. */
class PlanMemoTest {

    private static CacheConfig config(Set<String> exclude) {
        return new CacheConfig(true, List.of("redis://127.0.0.1:1"), false, Duration.ofMillis(20),
                Duration.ofSeconds(300), 1 << 20, Set.of(), exclude, Map.of(), Set.of(), Map.of(), 5,
                Duration.ofSeconds(1));
    }

    private static RelationCatalog catalogOf(String table) {
        return new RelationCatalog(List.of(new RelationCatalog.Relation("public", table, 'r', 'p', false, false)),
                List.of(), List.of());
    }

    @Test
    void aKeptPlanIsMadeAgainAfterAReloadOrANewCatalog() {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 10)) {
            ResultCache cache = new ResultCache(config(Set.of()), null, classifier);
            cache.catalog("app", catalogOf("items"));
            PlanMemo memo = new PlanMemo(cache, "app");
            StatementInfo read = classifier.classify("select name from items where id = 1");

            assertThat(memo.plan(read)).hasValueSatisfying(plan -> assertThat(plan.tables()).containsExactly("items"));
            assertThat(memo.plan(read)).as("kept").isSameAs(memo.plan(read));

            assertThat(cache.update(config(Set.of("items")))).isTrue();
            assertThat(memo.plan(read)).as("items excluded by a reload").isEmpty();

            assertThat(cache.update(config(Set.of()))).isTrue();
            assertThat(memo.plan(read)).isPresent();
            cache.catalog("app", catalogOf("other"));
            assertThat(memo.plan(read)).as("items no longer in the catalog").isEmpty();
        }
    }

    @Test
    void keepsTheLastShapesAndMakesOlderOnesAgain() {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 100)) {
            ResultCache cache = new ResultCache(config(Set.of()), null, classifier);
            cache.catalog("app", catalogOf("items"));
            PlanMemo memo = new PlanMemo(cache, "app");
            StatementInfo first = classifier.classify("select id from items where id = 1");
            var kept = memo.plan(first);
            for (int i = 0; i < PlanMemo.SIZE; i++) {
                memo.plan(classifier.classify("select id, " + "name, ".repeat(i + 1) + "id from items"));
            }
            assertThat(memo.plan(first)).as("pushed out by %d other shapes", PlanMemo.SIZE).isNotSameAs(kept)
                    .isEqualTo(kept);
        }
    }
}
