package io.pgroute.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgroute.proxy.cache.RelationCatalog.ForeignKey;
import io.pgroute.proxy.cache.RelationCatalog.Inheritance;
import io.pgroute.proxy.cache.RelationCatalog.Relation;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RelationCatalogTest {

    private static Relation table(String schema, String name) {
        return new Relation(schema, name, 'r', 'p', false, false);
    }

    private static Relation relation(String name, char kind, char persistence) {
        return new Relation("public", name, kind, persistence, false, false);
    }

    private static RelationCatalog catalogOf(Relation... relations) {
        return new RelationCatalog(List.of(relations), List.of(), List.of());
    }

    private static RelationCatalog tablesWithKeys(List<String> tables, ForeignKey... keys) {
        return new RelationCatalog(tables.stream().map(each -> table("public", each)).toList(), List.of(),
                List.of(keys));
    }

    private static ForeignKey key(String referencing, String referenced, char onDelete, char onUpdate) {
        return new ForeignKey(referencing, referenced, onDelete, onUpdate);
    }

    @Test
    void emptyCatalogCachesNothingAndCallsEveryWriteUnknown() {
        RelationCatalog empty = RelationCatalog.empty();

        assertThat(empty.cacheable("products")).isFalse();
        assertThat(empty.cacheable("public.products")).isFalse();
        assertThat(empty.writesUnknown(List.of("products"))).isTrue();
        assertThat(empty.invalidationClosure(List.of("public.products"))).containsExactly("products");
        assertThat(empty.size()).isZero();
    }

    @Test
    void versionKeyIsTheTextAfterTheLastDotWithCaseKept() {
        assertThat(RelationCatalog.versionKey("products")).isEqualTo("products");
        assertThat(RelationCatalog.versionKey("public.products")).isEqualTo("products");
        assertThat(RelationCatalog.versionKey("shop.public.Products")).isEqualTo("Products");
        assertThat(RelationCatalog.versionKey("Mixed Case")).isEqualTo("Mixed Case");
    }

    @Test
    void permanentTablesAreCacheableQualifiedOrNotInAnySchema() {
        RelationCatalog catalog = catalogOf(table("public", "products"), relation("events", 'p', 'p'));

        assertThat(catalog.cacheable("products")).isTrue();
        assertThat(catalog.cacheable("public.products")).isTrue();
        assertThat(catalog.cacheable("elsewhere.products")).isTrue();
        assertThat(catalog.cacheable("events")).isTrue();
        assertThat(catalog.size()).isEqualTo(2);
    }

    @Test
    void unknownNamesAreNotCacheable() {
        RelationCatalog catalog = catalogOf(table("public", "products"));

        assertThat(catalog.cacheable("orders")).isFalse();
        assertThat(catalog.cacheable("public.orders")).isFalse();
        assertThat(catalog.cacheable("Products")).isFalse();
    }

    @Test
    void unloggedAndTemporaryTablesAreNotCacheable() {
        RelationCatalog catalog = catalogOf(relation("scratch", 'r', 'u'), relation("parted_scratch", 'p', 'u'),
                new Relation("pg_temp_3", "session_rows", 'r', 't', false, false));

        assertThat(catalog.cacheable("scratch")).isFalse();
        assertThat(catalog.cacheable("parted_scratch")).isFalse();
        assertThat(catalog.cacheable("session_rows")).isFalse();
        assertThat(catalog.cacheable("pg_temp_3.session_rows")).isFalse();
    }

    @Test
    void relationsInSystemSchemasAreNotCacheable() {
        RelationCatalog catalog = catalogOf(table("pg_catalog", "pg_class"), table("information_schema", "sql_parts"),
                table("pg_toast", "pg_toast_1234"), table("pg_toast_temp_7", "pg_toast_99"),
                table("pg_temp_12", "permanent_looking"));

        assertThat(catalog.cacheable("pg_class")).isFalse();
        assertThat(catalog.cacheable("pg_catalog.pg_class")).isFalse();
        assertThat(catalog.cacheable("information_schema.sql_parts")).isFalse();
        assertThat(catalog.cacheable("pg_toast_1234")).isFalse();
        assertThat(catalog.cacheable("pg_toast_99")).isFalse();
        assertThat(catalog.cacheable("permanent_looking")).isFalse();
    }

    @Test
    void aNameWrittenWithASystemOrTemporarySchemaIsNeverCacheableAndItsWritesAreUnknown() {
        RelationCatalog catalog = catalogOf(table("public", "products"));

        assertThat(catalog.cacheable("pg_temp.products")).isFalse();
        assertThat(catalog.cacheable("pg_temp_4.products")).isFalse();
        assertThat(catalog.cacheable("pg_catalog.products")).isFalse();
        assertThat(catalog.cacheable("shop.pg_temp.products")).isFalse();
        assertThat(catalog.writesUnknown(List.of("pg_temp.products"))).isTrue();
        assertThat(catalog.writesUnknown(List.of("products"))).isFalse();
        assertThat(catalog.writesUnknown(List.of("public.products"))).isFalse();
    }

    @Test
    void viewsMaterializedViewsForeignTablesAndSequencesAreNotCacheableAndTheirWritesUnknown() {
        RelationCatalog catalog = catalogOf(relation("v", 'v', 'p'), relation("mv", 'm', 'p'),
                relation("remote", 'f', 'p'), relation("ids", 'S', 'p'));

        for (String each : List.of("v", "mv", "remote", "ids")) {
            assertThat(catalog.cacheable(each)).as(each).isFalse();
            assertThat(catalog.writesUnknown(List.of(each))).as(each).isTrue();
        }
    }

    @Test
    void sameNameInTwoSchemasTakesTheWorstCase() {
        RelationCatalog catalog = catalogOf(table("public", "items"), new Relation("archive", "items", 'r', 'u',
                true, false), table("public", "orders"), new Relation("reporting", "orders", 'v', 'p', false, false));

        assertThat(catalog.cacheable("items")).isFalse();
        assertThat(catalog.cacheable("public.items")).isFalse();
        assertThat(catalog.writesUnknown(List.of("public.items"))).isTrue();
        assertThat(catalog.cacheable("public.orders")).isFalse();
        assertThat(catalog.writesUnknown(List.of("orders"))).isTrue();
        assertThat(catalog.size()).isEqualTo(2);
    }

    @Test
    void closureFollowsACascadeChainDownwardOnly() {
        RelationCatalog catalog = tablesWithKeys(List.of("a", "b", "c"), key("b", "a", 'c', 'a'),
                key("c", "b", 'a', 'c'));

        assertThat(catalog.invalidationClosure(List.of("a"))).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(catalog.invalidationClosure(List.of("public.b"))).containsExactlyInAnyOrder("b", "c");
        assertThat(catalog.invalidationClosure(List.of("c"))).containsExactly("c");
    }

    @Test
    void closureFollowsSetNullAndSetDefault() {
        RelationCatalog catalog = tablesWithKeys(List.of("owner", "nulled", "defaulted", "renamed"),
                key("nulled", "owner", 'n', 'a'), key("defaulted", "owner", 'd', 'r'),
                key("renamed", "owner", 'a', 'n'));

        assertThat(catalog.invalidationClosure(List.of("owner")))
                .containsExactlyInAnyOrder("owner", "nulled", "defaulted", "renamed");
    }

    @Test
    void closureDoesNotFollowNoActionOrRestrict() {
        RelationCatalog catalog = tablesWithKeys(List.of("owner", "blocked", "restricted"),
                key("blocked", "owner", 'a', 'a'), key("restricted", "owner", 'r', 'r'));

        assertThat(catalog.invalidationClosure(List.of("owner"))).containsExactly("owner");
    }

    @Test
    void closureCoversTheWholePartitionTreeFromAnyMember() {
        RelationCatalog catalog = new RelationCatalog(
                List.of(relation("events", 'p', 'p'), relation("events_2024", 'p', 'p'), table("public", "events_q1"),
                        table("public", "events_2025"), table("public", "unrelated")),
                List.of(new Inheritance("events_2024", "events"), new Inheritance("events_q1", "events_2024"),
                        new Inheritance("events_2025", "events")),
                List.of());
        Set<String> tree = Set.of("events", "events_2024", "events_q1", "events_2025");

        assertThat(catalog.invalidationClosure(List.of("events"))).containsExactlyInAnyOrderElementsOf(tree);
        assertThat(catalog.invalidationClosure(List.of("events_q1"))).containsExactlyInAnyOrderElementsOf(tree);
        assertThat(catalog.invalidationClosure(List.of("events_2025"))).containsExactlyInAnyOrderElementsOf(tree);
    }

    @Test
    void closureCombinesPartitionsAndCascades() {
        RelationCatalog catalog = new RelationCatalog(
                List.of(relation("accounts", 'p', 'p'), table("public", "accounts_eu"), table("public", "sessions"),
                        table("public", "session_logs")),
                List.of(new Inheritance("accounts_eu", "accounts")),
                List.of(key("sessions", "accounts", 'c', 'a'), key("session_logs", "sessions", 'c', 'a')));

        assertThat(catalog.invalidationClosure(List.of("accounts_eu")))
                .containsExactlyInAnyOrder("accounts_eu", "accounts", "sessions", "session_logs");
    }

    @Test
    void closureTerminatesOnCycles() {
        RelationCatalog catalog = new RelationCatalog(
                List.of(table("public", "a"), table("public", "b"), table("public", "tree")),
                List.of(new Inheritance("a", "b"), new Inheritance("b", "a")),
                List.of(key("a", "b", 'c', 'c'), key("b", "a", 'c', 'c'), key("tree", "tree", 'c', 'a')));

        assertThat(catalog.invalidationClosure(List.of("a"))).containsExactlyInAnyOrder("a", "b");
        assertThat(catalog.invalidationClosure(List.of("tree"))).containsExactly("tree");
        assertThat(catalog.writesUnknown(List.of("a", "tree"))).isFalse();
    }

    @Test
    void closureJoinsSameNamedTablesOfAllSchemas() {
        RelationCatalog catalog = new RelationCatalog(
                List.of(table("public", "orders"), table("archive", "orders"), table("archive", "order_lines")),
                List.of(), List.of(key("order_lines", "orders", 'c', 'a')));

        assertThat(catalog.invalidationClosure(List.of("public.orders")))
                .containsExactlyInAnyOrder("orders", "order_lines");
    }

    @Test
    void closureKeepsUnknownNamesAsVersionKeys() {
        RelationCatalog catalog = catalogOf(table("public", "products"));

        assertThat(catalog.invalidationClosure(List.of("products", "ghost", "s.phantom", "ghost")))
                .containsExactly("products", "ghost", "phantom");
        assertThat(catalog.invalidationClosure(List.of())).isEmpty();
    }

    @Test
    void writesToPlainTablesAreKnown() {
        RelationCatalog catalog = catalogOf(table("public", "products"), relation("events", 'p', 'p'));

        assertThat(catalog.writesUnknown(List.of("products", "public.events"))).isFalse();
        assertThat(catalog.writesUnknown(List.of())).isFalse();
    }

    @Test
    void writesToUnknownNamesAreUnknown() {
        RelationCatalog catalog = catalogOf(table("public", "products"));

        assertThat(catalog.writesUnknown(List.of("products", "created_since"))).isTrue();
    }

    @Test
    void triggersAndRulesMakeWritesUnknownButNotReads() {
        RelationCatalog catalog = catalogOf(new Relation("public", "audited", 'r', 'p', true, false),
                new Relation("public", "ruled", 'r', 'p', false, true));

        assertThat(catalog.writesUnknown(List.of("audited"))).isTrue();
        assertThat(catalog.writesUnknown(List.of("ruled"))).isTrue();
        assertThat(catalog.cacheable("audited")).isTrue();
        assertThat(catalog.cacheable("ruled")).isTrue();
    }

    @Test
    void aTriggerAnywhereInTheClosureMakesWritesUnknown() {
        RelationCatalog catalog = new RelationCatalog(
                List.of(table("public", "owner"), new Relation("public", "audited_child", 'r', 'p', true, false),
                        new Relation("public", "parted", 'p', 'p', true, false), table("public", "parted_1"),
                        table("public", "loose"), new Relation("public", "audited_loose", 'r', 'p', true, false)),
                List.of(new Inheritance("parted_1", "parted")),
                List.of(key("audited_child", "owner", 'c', 'a'), key("audited_loose", "loose", 'r', 'a')));

        assertThat(catalog.writesUnknown(List.of("owner"))).isTrue();
        assertThat(catalog.writesUnknown(List.of("parted_1"))).isTrue();
        assertThat(catalog.writesUnknown(List.of("loose"))).isFalse();
    }

    @Test
    void aTriggerInAnotherSchemaMakesWritesOfTheSameNameUnknown() {
        RelationCatalog catalog = catalogOf(table("public", "stock"),
                new Relation("warehouse", "stock", 'r', 'p', true, false));

        assertThat(catalog.writesUnknown(List.of("public.stock"))).isTrue();
        assertThat(catalog.cacheable("public.stock")).isTrue();
    }
}
