package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A batch of Binds whose Sync comes megabytes later (pgjdbc's executeBatch syncs when the answers it expects reach
 * 64 kB, whatever the size of the values it sends) goes on to the server as it arrives: pgroute never holds a whole
 * batch in memory (COMPAT E15). Held until its Sync, three such batches of 900 kB values took more than 512 MB of
 * direct memory, and a client was cut off. With the result cache on, the batch's writes are tracked as it runs and
 * begun before its Sync commits them: a read after it sees its rows, and other tables stay cached.
 */
class LargeBatchIT {

    /** Rows in the batch, and the size of each one's value: 4 MiB in all, four times what a session may hold. */
    private static final int ROWS = 64;
    private static final int VALUE_BYTES = 64 * 1024;

    private static PgrouteServer cached;

    @BeforeAll
    static void start() throws Exception {
        String cache = "  enabled: true\n  redis: " + ProxyFixture.get().cluster().redis().orElseThrow().uri() + "\n";
        cached = ProxyFixture.server("large-batch.yaml", Map.of("cache", cache));
    }

    @AfterAll
    static void stop() {
        if (cached != null) {
            cached.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void aBatchLargerThanASessionHoldsReachesTheServerBeforeItsSync() throws Exception {
        String table = "large_batch_plain";
        create(table);
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            sendsTheBatchAndSeesItRunBeforeItsSync(client, table);
            assertThat(count(client, table)).isEqualTo(String.valueOf(ROWS));
        }
        assertThat(countDirect(table)).isEqualTo(ROWS);
    }

    @Test
    void withTheCacheABatchLargerThanASessionHoldsReachesTheServerAndTheNextReadSeesIt() throws Exception {
        String table = "large_batch_cached";
        String bystander = "large_batch_bystander";
        try (WireClient client = WireClient.connect(cached.port(), "trusted", "app")) {
            createWithCachedCounts(client, table, bystander);
            sendsTheBatchAndSeesItRunBeforeItsSync(client, table);
            seesTheWriteAndTheBystanderStillCached(client, table, ROWS, bystander);
        }
        assertThat(countDirect(table)).isEqualTo(ROWS);
    }

    /**
     * A Bind with a value bigger than a message pgroute holds goes on in pieces as it arrives (COMPAT L1), before its
     * Sync: the statement it binds is known from its first piece, and only that statement's table is invalidated, as
     * for any write. It used to invalidate every table, so storing one big value emptied the whole cache.
     */
    @Test
    void withTheCacheABindInPiecesInvalidatesOnlyTheTableItWrites() throws Exception {
        String table = "large_bind_cached";
        String bystander = "large_bind_bystander";
        try (WireClient client = WireClient.connect(cached.port(), "trusted", "app")) {
            createWithCachedCounts(client, table, bystander);
            byte[] value = new byte[(int) (3 * io.pgroute.protocol.codec.FrameDecoder.STREAM_ABOVE)];
            Arrays.fill(value, (byte) 'v');
            client.send(new Parse("", "INSERT INTO " + table + " VALUES ($1::int, $2::text)", new int[0]),
                    new Bind("", "", new short[0], new byte[][] {"1".getBytes(StandardCharsets.US_ASCII), value},
                            new short[0]),
                    new Execute("", 0), Sync.INSTANCE);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("12CZ");
            seesTheWriteAndTheBystanderStillCached(client, table, 1, bystander);
        }
        try (Connection c = ProxyFixture.get().connectDirect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT length(v) FROM " + table)) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isEqualTo(3 * io.pgroute.protocol.codec.FrameDecoder.STREAM_ABOVE);
        }
    }

    /**
     * After a write of {@code rows} rows to {@code table}: its count is read anew (not the 0 cached before), and the
     * count of {@code bystander}, which the write did not touch, is still answered from the cache.
     */
    private static void seesTheWriteAndTheBystanderStillCached(WireClient client, String table, int rows,
                                                               String bystander) throws Exception {
        assertThat(count(client, table)).as("not the count cached before").isEqualTo(String.valueOf(rows));
        long after = hits();
        assertThat(count(client, bystander)).isEqualTo("0");
        assertThat(hits()).as("only the written table was invalidated, not every table").isGreaterThan(after);
    }

    /** Creates the tables through the proxy (its catalog learns them) and waits until their counts are cached. */
    private static void createWithCachedCounts(WireClient client, String... tables) throws Exception {
        for (String each : tables) {
            client.send(new Query("DROP TABLE IF EXISTS " + each + "; CREATE TABLE " + each + " (id int, v text)"));
            assertThat(WireClient.types(client.readUntilReady())).doesNotContain("E");
        }
        for (String each : tables) {
            await(each + "'s count answered from the cache").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        long before = hits();
                        assertThat(count(client, each)).isEqualTo("0");
                        return hits() > before;
                    });
        }
    }

    /**
     * The batch's tables are begun before its Sync is sent, not when its ReadyForQuery comes back: its commit is made
     * to wait (a deferred foreign key whose parent row another transaction holds), and while it waits a read of its
     * table through the proxy is no longer answered from the cache. Begun only at the ReadyForQuery, the read would
     * be served the count cached before the batch all the time the commit takes, and for a moment after it.
     */
    @Test
    void withTheCacheABatchSentBeforeItsEndIsBegunBeforeItCommits() throws Exception {
        String parent = "large_batch_parent";
        String table = "large_batch_deferred";
        try (WireClient client = WireClient.connect(cached.port(), "trusted", "app");
             WireClient reader = WireClient.connect(cached.port(), "trusted", "app")) {
            client.send(new Query("DROP TABLE IF EXISTS " + table + "; DROP TABLE IF EXISTS " + parent
                    + "; CREATE TABLE " + parent + " (id int PRIMARY KEY); INSERT INTO " + parent + " VALUES (1);"
                    + " CREATE TABLE " + table + " (id int, v text, parent int REFERENCES " + parent
                    + " DEFERRABLE INITIALLY DEFERRED)"));
            assertThat(WireClient.types(client.readUntilReady())).doesNotContain("E");
            await(table + "'s count answered from the cache").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        long before = hits();
                        assertThat(count(reader, table)).isEqualTo("0");
                        return hits() > before;
                    });
            try (Connection direct = ProxyFixture.get().connectDirect();
                 Connection holder = ProxyFixture.get().connectDirect()) {
                // a row pgroute does not know of: only a read that misses the cache counts it
                try (Statement s = direct.createStatement()) {
                    s.execute("INSERT INTO " + table + " VALUES (-1, 'direct', NULL)");
                }
                holder.setAutoCommit(false);
                try (Statement s = holder.createStatement()) {
                    s.execute("SELECT * FROM " + parent + " WHERE id = 1 FOR UPDATE");
                }
                String marker = "batch-marker-deferred";
                client.send(new Parse("", "INSERT INTO " + table + " VALUES ($1::int, $2::text, 1) /* " + marker
                        + " */", new int[0]));
                byte[] value = new byte[VALUE_BYTES];
                Arrays.fill(value, (byte) 'v');
                for (int i = 0; i < ROWS; i++) {
                    byte[] id = String.valueOf(i).getBytes(StandardCharsets.US_ASCII);
                    client.send(new Bind("", "", new short[0], new byte[][] {id, value}, new short[0]),
                            new Execute("", 0));
                }
                client.send(Sync.INSTANCE);
                await("the batch's commit waits for the parent row").atMost(Duration.ofSeconds(15))
                        .pollInterval(Duration.ofMillis(100)).until(() -> waitingOnALock(direct, marker));
                await("a read of the batch's table misses the cache while the batch commits")
                        .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                        .until(() -> count(reader, table).equals("1"));
                holder.rollback();
            }
            List<WireClient.Message> answer = client.readUntilReady();
            assertThat(WireClient.types(answer)).isEqualTo("1" + "2C".repeat(ROWS) + "Z");
            assertThat(count(client, table)).isEqualTo(String.valueOf(ROWS + 1));
        }
    }

    private static boolean waitingOnALock(Connection direct, String marker) throws SQLException {
        try (java.sql.PreparedStatement s = direct.prepareStatement("SELECT count(*) FROM pg_stat_activity"
                + " WHERE strpos(query, ?) > 0 AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")) {
            s.setString(1, marker);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }
    }

    private static long hits() {
        return cached.resultCache().orElseThrow().redis().stats().hits();
    }

    private static void sendsTheBatchAndSeesItRunBeforeItsSync(WireClient client, String table) throws Exception {
        String marker = "batch-marker-" + table;
        client.send(new Parse("", "INSERT INTO " + table + " VALUES ($1::int, $2::text) /* " + marker + " */",
                new int[0]));
        byte[] value = new byte[VALUE_BYTES];
        Arrays.fill(value, (byte) 'v');
        for (int i = 0; i < ROWS; i++) {
            byte[] id = String.valueOf(i).getBytes(StandardCharsets.US_ASCII);
            client.send(new Bind("", "", new short[0], new byte[][] {id, value}, new short[0]), new Execute("", 0));
        }
        // no Sync yet: a proxy that waits for it holds all 4 MiB, and no server has seen the statement
        await("a server runs the batch before its Sync").atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100)).until(() -> ProxyFixture.get().primaryBackendsWith(marker, false) > 0);
        client.send(Sync.INSTANCE);
        List<WireClient.Message> answer = client.readUntilReady();
        assertThat(WireClient.types(answer)).isEqualTo("1" + "2C".repeat(ROWS) + "Z");
    }

    private static void create(String table) throws SQLException {
        try (Connection c = ProxyFixture.get().connectDirect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + table);
            s.execute("CREATE TABLE " + table + " (id int, v text)");
        }
    }

    private static String count(WireClient client, String table) throws Exception {
        client.send(new Query("SELECT count(*) FROM " + table));
        List<WireClient.Message> answer = client.readUntilReady();
        return answer.stream().filter(each -> each.type() == 'D').findFirst().orElseThrow().firstValue();
    }

    private static int countDirect(String table) throws SQLException {
        try (Connection c = ProxyFixture.get().connectDirect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
