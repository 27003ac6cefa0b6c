package io.pgroute.proxy.cache;

import io.pgroute.config.CacheConfig;
import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.Classifier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Sessions keep plans while {@link ResultCache#planGeneration} stays the same: it must move with every input. */
class ResultCachePlanTest {

    @Test
    void thePlanGenerationMovesWithTheConfigurationAndTheCatalogs() {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 10)) {
            ResultCache cache = new ResultCache(CacheConfig.disabled(), null, classifier);
            long start = cache.planGeneration();
            assertThat(cache.planGeneration()).as("nothing changed").isEqualTo(start);
            cache.catalog("app", RelationCatalog.empty());
            long afterCatalog = cache.planGeneration();
            assertThat(afterCatalog).as("a relation catalog was loaded").isNotEqualTo(start);
            assertThat(cache.update(CacheConfig.disabled())).isTrue();
            long afterReload = cache.planGeneration();
            assertThat(afterReload).as("the configuration was reloaded").isNotEqualTo(afterCatalog);
            classifier.updateCatalog(new BuiltinFunctions());
            assertThat(cache.planGeneration()).as("the function catalog was loaded").isNotEqualTo(afterReload);
        }
    }
}
