package io.pgroute.proxy.cache;

import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Statements only PostgreSQL 18 accepts, through pgroute with the result cache: a write's {@code RETURNING old.*,
 * new.*} is still a write of its table (the next read, cached before, sees it), a virtual generated column is read
 * and cached like any other, {@code uuidv7()} is volatile (never cached, run on the primary). Skipped against older
 * servers; the build's second pass runs it against 18.
 */
class Postgres18SyntaxIT {

    private static PgrouteServer proxy;
    private static String serverVersion;

    @BeforeAll
    static void start() throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        try (Connection c = ProxyFixture.get().connectDirect()) {
            serverVersion = CacheIT.rows(c, "SHOW server_version_num").get(0);
        }
        if (Integer.parseInt(serverVersion) >= 180000) {
            proxy = CacheIT.startProxy(cluster);
        }
    }

    @BeforeEach
    void onlyOnEighteen() {
        Assumptions.assumeTrue(proxy != null, "PostgreSQL 18 syntax; the server is " + serverVersion);
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void returningOldAndNewIsAWriteOfItsTable() throws Exception {
        String table = CacheIT.table("c_pg18");
        String read = "SELECT id, v, w FROM " + table + " ORDER BY id";
        try (Connection c = CacheIT.connect(proxy); Connection other = CacheIT.connect(proxy)) {
            CacheIT.execute(c, "CREATE TABLE " + table + " (id int PRIMARY KEY, v int,"
                    + " w int GENERATED ALWAYS AS (v * 2) VIRTUAL)", "INSERT INTO " + table + " VALUES (1, 10), (2, 20)");
            assertThat(CacheIT.untilCached(proxy, c, read)).containsExactly("1|10|20", "2|20|40");
            long hits = CacheIT.hits(proxy);
            assertThat(CacheIT.rows(other, read)).containsExactly("1|10|20", "2|20|40");
            assertThat(CacheIT.hits(proxy)).as("the virtual column's rows from the cache").isEqualTo(hits + 1);

            assertThat(CacheIT.rows(c, "UPDATE " + table + " SET v = v + 1 WHERE id = 1"
                    + " RETURNING old.v AS old_v, new.v AS new_v, new.w")).containsExactly("10|11|22");
            assertThat(CacheIT.rows(c, read)).as("the writer").containsExactly("1|11|22", "2|20|40");
            assertThat(CacheIT.rows(other, read)).as("another connection").containsExactly("1|11|22", "2|20|40");

            assertThat(CacheIT.rows(c, "DELETE FROM " + table + " WHERE id = 2 RETURNING old.w"))
                    .containsExactly("40");
            assertThat(CacheIT.rows(other, read)).containsExactly("1|11|22");
        }
    }

    @Test
    void uuidv7IsNeverCachedAndRunsOnThePrimary() throws Exception {
        try (Connection c = CacheIT.connect(proxy)) {
            String sql = "SELECT uuidv7()::text, pg_is_in_recovery()";
            List<String> first = CacheIT.rows(c, sql);
            List<String> second = CacheIT.rows(c, sql);
            assertThat(first.get(0)).endsWith("|f");
            assertThat(second.get(0)).endsWith("|f").isNotEqualTo(first.get(0));
        }
    }
}
