package io.pgroute.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgroute.config.BackendTlsMode;
import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.NodeConfig;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.routing.CatalogRefresher;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.Volatility;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The relation catalog read from a real primary's pg_catalog: cacheability by kind, persistence and schema,
 * invalidation through partitions and cascading foreign keys, writes that triggers or rules make unknown, and the
 * catalog refresher handing fresh catalogs to a listener.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.pgroute.localcluster.DockerModeCondition.class)
class RelationCatalogIT {

    private static final String DB = "relcatalog";

    private static LocalCluster cluster;
    private static RelationCatalog catalog;

    @BeforeAll
    static void startClusterAndLoad() throws Exception {
        cluster = LocalCluster.builder().replicas(0).redis(false).start();
        cluster.createDatabase(DB);
        cluster.execute(DB,
                "create table rc_plain (id int primary key)",
                "create unlogged table rc_unlogged (id int)",
                "create view rc_view as select id from rc_plain",
                "create materialized view rc_matview as select count(*) from rc_plain",
                "create table rc_part (id int, k int) partition by range (k)",
                "create table rc_part_1 partition of rc_part for values from (0) to (10)",
                "create table rc_part_2 partition of rc_part for values from (10) to (20)",
                "create table rc_parent (id int primary key)",
                "create table rc_child (id int primary key,"
                        + " parent_id int references rc_parent on delete cascade)",
                "create table rc_grandchild (id int, child_id int references rc_child on delete set null)",
                "create table rc_restricted (parent_id int references rc_parent on delete restrict)",
                "create table rc_audit_log (note text)",
                "create table rc_audited_owner (id int primary key)",
                "create table rc_audited (id int, owner_id int references rc_audited_owner on delete cascade)",
                "create function rc_audit() returns trigger language plpgsql as"
                        + " 'begin insert into rc_audit_log values (''row''); return new; end'",
                "create trigger rc_audited_insert after insert on rc_audited for each row execute function rc_audit()",
                "create table rc_ruled (id int)",
                "create rule rc_ruled_log as on insert to rc_ruled do also insert into rc_audit_log values ('rule')",
                "create table rc_tpart (id int, k int) partition by list (k)",
                "create table rc_tpart_1 partition of rc_tpart for values in (1)",
                "create trigger rc_tpart_insert after insert on rc_tpart for each row execute function rc_audit()",
                "create schema rc_a",
                "create schema rc_b",
                "create table rc_a.rc_twin (id int)",
                "create unlogged table rc_b.rc_twin (id int)",
                "create function rc_stamp() returns int language sql as"
                        + " 'insert into rc_audit_log values (''v'') returning 1'",
                "create view rc_stamping as select rc_stamp() as stamped",
                "create view rc_over_stamping as select s.stamped from rc_stamping s"
                        + " join rc_view v on v.id = s.stamped",
                "create view rc_builtins as select lower(note), now() from rc_audit_log");
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("create temporary table rc_session_only (id int)");
            catalog = RelationCatalog.load(connection);
        }
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Connection connect() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", cluster.superuser());
        properties.setProperty("password", cluster.superuserPassword());
        properties.setProperty("connectTimeout", "10");
        properties.setProperty("socketTimeout", "30");
        return DriverManager.getConnection(cluster.primary().jdbcUrl(DB), properties);
    }

    @Test
    void permanentTablesAndPartitionsAreCacheable() {
        for (String each : List.of("rc_plain", "public.rc_plain", "rc_part", "rc_part_1", "public.rc_part_2",
                "rc_parent", "rc_child", "rc_audited", "rc_ruled")) {
            assertThat(catalog.cacheable(each)).as(each).isTrue();
        }
    }

    @Test
    void otherRelationsAndUnknownNamesAreNotCacheable() {
        for (String each : List.of("rc_unlogged", "rc_view", "rc_matview", "rc_session_only", "pg_temp.rc_plain",
                "rc_no_such_table", "pg_class", "pg_catalog.pg_class", "information_schema.tables")) {
            assertThat(catalog.cacheable(each)).as(each).isFalse();
        }
    }

    @Test
    void sameNameInTwoSchemasWithOneUnloggedIsNotCacheableInEither() {
        assertThat(catalog.cacheable("rc_twin")).isFalse();
        assertThat(catalog.cacheable("rc_a.rc_twin")).isFalse();
        assertThat(catalog.cacheable("rc_b.rc_twin")).isFalse();
        assertThat(catalog.writesUnknown(List.of("rc_a.rc_twin"))).isFalse();
    }

    @Test
    void closureFollowsCascadesButNotRestrict() {
        assertThat(catalog.invalidationClosure(List.of("rc_parent")))
                .containsExactlyInAnyOrder("rc_parent", "rc_child", "rc_grandchild");
        assertThat(catalog.invalidationClosure(List.of("public.rc_child")))
                .containsExactlyInAnyOrder("rc_child", "rc_grandchild");
        assertThat(catalog.invalidationClosure(List.of("rc_grandchild", "rc_restricted")))
                .containsExactlyInAnyOrder("rc_grandchild", "rc_restricted");
        assertThat(catalog.invalidationClosure(List.of("rc_plain"))).containsExactly("rc_plain");
    }

    @Test
    void closureCoversThePartitionTreeBothWays() {
        Set<String> tree = Set.of("rc_part", "rc_part_1", "rc_part_2");

        assertThat(catalog.invalidationClosure(List.of("rc_part"))).containsExactlyInAnyOrderElementsOf(tree);
        assertThat(catalog.invalidationClosure(List.of("rc_part_1"))).containsExactlyInAnyOrderElementsOf(tree);
    }

    @Test
    void writesToPlainTablesAndCascadesWithoutTriggersAreKnown() {
        assertThat(catalog.writesUnknown(List.of("rc_plain", "rc_parent", "rc_part_2", "rc_unlogged"))).isFalse();
    }

    @Test
    void triggersRulesViewsAndUnknownNamesMakeWritesUnknown() {
        for (String each : List.of("rc_audited", "rc_ruled", "rc_view", "rc_matview", "rc_no_such_table",
                "rc_audited_owner", "rc_tpart_1", "rc_tpart")) {
            assertThat(catalog.writesUnknown(List.of(each))).as(each).isTrue();
        }
    }

    @Test
    void readsOfViewsThatCallUserFunctionsAreWritesOfUnknownTables() {
        try (Classifier classifier = new Classifier(name -> Volatility.UNKNOWN, 100)) {
            for (String each : List.of("select * from rc_stamping", "select * from public.rc_over_stamping")) {
                assertThat(catalog.readsWritingView(classifier.classify(each))).as(each).isTrue();
            }
            for (String each : List.of("select * from rc_view", "select * from rc_builtins", "select * from rc_plain",
                    "select * from rc_matview")) {
                assertThat(catalog.readsWritingView(classifier.classify(each))).as(each).isFalse();
            }
        }
    }

    @Test
    void knowsEveryNameCreatedHere() {
        // a write to a table the catalog does not know invalidates everything; to a known plain table, its own tree
        for (String each : List.of("rc_plain", "rc_unlogged", "rc_part_1", "rc_parent", "rc_restricted",
                "rc_audit_log", "rc_a.rc_twin", "rc_b.rc_twin")) {
            assertThat(catalog.writesUnknown(List.of(each))).as(each).isFalse();
        }
        assertThat(catalog.writesUnknown(List.of("rc_never_created"))).isTrue();
        assertThat(catalog.size()).isGreaterThanOrEqualTo(20);
    }

    @Test
    void refresherHandsFreshCatalogsToItsListenerAndRefreshesOnDemand() {
        DatabaseConfig database = new DatabaseConfig(DB,
                NodeConfig.of(cluster.primary().host(), cluster.primary().port()), List.of(), DB,
                cluster.superuser(), cluster.superuserPassword(), BackendTlsMode.DISABLE);
        AtomicReference<RelationCatalog> latest = new AtomicReference<>(RelationCatalog.empty());
        try (Classifier classifier = new Classifier(name -> Volatility.UNKNOWN, 100);
                CatalogRefresher refresher = new CatalogRefresher(database, classifier, latest::set)) {
            refresher.start(Duration.ofHours(1));
            await().atMost(Duration.ofSeconds(10)).until(() -> latest.get().cacheable("rc_plain"));
            assertThat(latest.get().cacheable("rc_created_later")).isFalse();

            cluster.execute(DB, "create table rc_created_later (id int)");
            refresher.refreshNow();
            refresher.refreshNow();

            await().atMost(Duration.ofSeconds(10)).until(() -> latest.get().cacheable("rc_created_later"));
            assertThat(refresher.loadedOnce()).isTrue();
        }
    }
}
