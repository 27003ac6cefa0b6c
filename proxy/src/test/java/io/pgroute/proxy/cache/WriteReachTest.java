package io.pgroute.proxy.cache;

import io.pgroute.proxy.cache.RelationCatalog.ForeignKey;
import io.pgroute.proxy.cache.RelationCatalog.Relation;
import io.pgroute.proxy.cache.ResultCache.Invalidation;
import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.StatementInfo;
import io.pgroute.proxy.sql.Volatility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class WriteReachTest {

    private static final Classifier CLASSIFIER = new Classifier(new BuiltinFunctions(), 100);
    private static final RelationCatalog CATALOG = new RelationCatalog(List.of(
            new Relation("public", "orders", 'r', 'p', false, false),
            new Relation("public", "lines", 'r', 'p', false, false),
            new Relation("public", "audited", 'r', 'p', true, false),
            new Relation("public", "products", 'r', 'p', false, false),
            new Relation("public", "order_view", 'v', 'p', false, true)), List.of(),
            List.of(new ForeignKey("lines", "orders", 'c', 'a')));

    @AfterAll
    static void close() {
        CLASSIFIER.close();
    }

    private static Invalidation reach(String sql) {
        return WriteReach.of(CLASSIFIER.classify(sql), CATALOG, CLASSIFIER);
    }

    private static List<String> readKeys(String sql) {
        return WriteReach.readKeys(CLASSIFIER.classify(sql), CATALOG, CLASSIFIER);
    }

    @Test
    void aWriteReachesItsTablesAndThoseItsForeignKeysCascadeTo() {
        assertThat(reach("INSERT INTO orders VALUES (1)")).isEqualTo(new Invalidation(Set.of("orders", "lines"),
                false));
        assertThat(reach("UPDATE public.products SET price = 2")).isEqualTo(new Invalidation(Set.of("products"),
                false));
        assertThat(reach("BEGIN; DELETE FROM products; COMMIT").tables()).containsExactly("products");
    }

    @Test
    void aReadOfAViewThatCallsAUserFunctionReachesEverything() {
        RelationCatalog catalog = new RelationCatalog(List.of(
                new Relation("public", "orders", 'r', 'p', false, false),
                new Relation("public", "stamping", 'v', 'p', false, false),
                new Relation("public", "over_stamping", 'v', 'p', false, false),
                new Relation("public", "plain_view", 'v', 'p', false, false)), List.of(), List.of(),
                List.of(new RelationCatalog.ViewDependency("stamping", 'f', "stamp_order"),
                        new RelationCatalog.ViewDependency("over_stamping", 'v', "stamping")));
        for (String each : List.of("SELECT * FROM stamping", "SELECT * FROM app.public.over_stamping",
                "SELECT o.id FROM orders o JOIN stamping s ON s.id = o.id", "SELECT 1; SELECT * FROM stamping")) {
            StatementInfo read = CLASSIFIER.classify(each);
            assertThat(read.readOnly()).as(each).isTrue();
            assertThat(WriteReach.of(read, catalog, CLASSIFIER)).as(each).isEqualTo(Invalidation.EVERYTHING);
        }
        for (String each : List.of("SELECT * FROM plain_view", "SELECT * FROM orders")) {
            assertThat(WriteReach.of(CLASSIFIER.classify(each), catalog, CLASSIFIER)).as(each)
                    .isEqualTo(Invalidation.NONE);
        }
    }

    @Test
    void whatPgrouteCannotFollowReachesEverything() {
        assertThat(reach("INSERT INTO audited VALUES (1)")).as("user triggers").isEqualTo(Invalidation.EVERYTHING);
        assertThat(reach("INSERT INTO order_view VALUES (1)")).as("a view").isEqualTo(Invalidation.EVERYTHING);
        assertThat(reach("INSERT INTO created_since VALUES (1)")).as("unknown").isEqualTo(Invalidation.EVERYTHING);
        assertThat(reach("DO $$ BEGIN END $$")).isEqualTo(Invalidation.EVERYTHING);
        assertThat(reach("ALTER TABLE products ADD COLUMN c int")).isEqualTo(Invalidation.EVERYTHING);
        assertThat(reach("TRUNCATE orders")).isEqualTo(Invalidation.EVERYTHING);
    }

    @Test
    void readsAndSessionStatementsReachNothing() {
        assertThat(reach("SELECT * FROM orders")).isEqualTo(Invalidation.NONE);
        assertThat(reach("SET search_path = x")).isEqualTo(Invalidation.NONE);
        assertThat(reach("CREATE TEMP TABLE t (id int)")).isEqualTo(Invalidation.NONE);
    }

    @Test
    void aReadDependsOnItsPermanentTablesWhenPgrouteCanTell() {
        assertThat(readKeys("SELECT * FROM orders o JOIN public.lines l ON true WHERE o.id = 1"))
                .containsExactlyInAnyOrder("orders", "lines");
        assertThat(readKeys("SELECT count(*) FROM products")).containsExactly("products");
        assertThat(readKeys("SELECT 1")).isEmpty();
        assertThat(readKeys("SELECT * FROM orders WHERE created < now() - interval '1 day'"))
                .as("PostgreSQL's own functions read no table").containsExactly("orders");
        assertThat(readKeys("SELECT lower(name), pg_is_in_recovery() FROM products")).containsExactly("products");
    }

    @Test
    void aReadPgrouteCannotTieToTablesHasNoKeys() {
        assertThat(readKeys("SELECT * FROM order_view")).as("a view").isNull();
        assertThat(readKeys("SELECT * FROM created_since")).as("unknown").isNull();
        assertThat(readKeys("SELECT my_total(id) FROM orders")).as("a function of the user's").isNull();
        assertThat(readKeys("SELECT query_to_xml('select * from lines', true, true, '')"))
                .as("a function running SQL text").isNull();
        assertThat(readKeys("SELECT * FROM orders; SELECT * FROM lines")).as("several statements").isNull();
        assertThat(readKeys("SELECT * FROM pg_class")).as("a system table").isNull();
    }

    private static List<String> shownKeys(String sql) {
        return WriteReach.shownKeys(CLASSIFIER.classify(sql), CATALOG, CLASSIFIER);
    }

    @Test
    void anAnswerShowsTheTablesItsStatementReadsAndWrites() {
        assertThat(shownKeys("SELECT * FROM orders")).containsExactly("orders");
        assertThat(shownKeys("UPDATE orders SET n = (SELECT x FROM lines LIMIT 1) RETURNING n"))
                .containsExactlyInAnyOrder("orders", "lines");
        assertThat(shownKeys("BEGIN")).isEmpty();
        assertThat(shownKeys("SET search_path = x")).isEmpty();
        assertThat(shownKeys("BEGIN; SELECT * FROM products; COMMIT")).containsExactly("products");
    }

    @Test
    void anAnswerPgrouteCannotTieToTablesShowsAnyTable() {
        assertThat(shownKeys("SELECT * FROM order_view")).isNull();
        assertThat(shownKeys("SELECT my_total(1)")).isNull();
        assertThat(shownKeys("INSERT INTO created_since VALUES (1)")).isNull();
        assertThat(shownKeys("DO $$ BEGIN END $$")).isNull();
        assertThat(shownKeys("COMMIT PREPARED 'x'")).isNull();
    }

    @Test
    void aStatementIsWorkedOutOncePerCatalogAndFunctionKnowledge() {
        StatementInfo write = CLASSIFIER.classify("UPDATE orders SET n = 2 WHERE id = 7");
        StatementInfo read = CLASSIFIER.classify("SELECT * FROM products WHERE id = 7");
        assertThat(WriteReach.of(write, CATALOG, CLASSIFIER)).as("remembered")
                .isSameAs(WriteReach.of(write, CATALOG, CLASSIFIER));
        assertThat(WriteReach.readKeys(read, CATALOG, CLASSIFIER))
                .isSameAs(WriteReach.readKeys(read, CATALOG, CLASSIFIER)).containsExactly("products");
        assertThat(WriteReach.shownKeys(write, CATALOG, CLASSIFIER)).containsExactly("orders")
                .isSameAs(WriteReach.shownKeys(write, CATALOG, CLASSIFIER));

        RelationCatalog withoutCascade = new RelationCatalog(List.of(
                new Relation("public", "orders", 'r', 'p', false, false),
                new Relation("public", "lines", 'r', 'p', false, false)), List.of(), List.of());
        assertThat(WriteReach.of(write, withoutCascade, CLASSIFIER).tables()).as("another catalog: its own answer")
                .containsExactly("orders");
        assertThat(WriteReach.of(write, CATALOG, CLASSIFIER).tables()).containsExactlyInAnyOrder("orders", "lines");
        assertThat(WriteReach.readKeys(read, withoutCascade, CLASSIFIER)).as("products is not in that one").isNull();
    }

    @Test
    void aFunctionCatalogUpdateIsSeenByStatementsWorkedOutBefore() {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 100)) {
            StatementInfo read = classifier.classify("SELECT score(id) FROM products");
            assertThat(WriteReach.readKeys(read, CATALOG, classifier)).as("score() may read any table").isNull();
            classifier.updateCatalog(name -> name.equals("score") ? Volatility.IMMUTABLE : Volatility.UNKNOWN);
            assertThat(WriteReach.readKeys(read, CATALOG, classifier)).as("now known immutable")
                    .containsExactly("products");
        }
    }
}
