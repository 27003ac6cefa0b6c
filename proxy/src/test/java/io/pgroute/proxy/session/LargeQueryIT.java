package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Query;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * COMPAT L1: a simple Query longer than {@code limits.max_read_query_bytes} is not held. It goes on to the primary in
 * pieces as it arrives: its answer is PostgreSQL's, and it is never cached. What it does is read from its skeleton
 * (its text without the contents of long literals) before its last piece goes: the cached tables it writes are
 * invalidated and the others stay, a SET is tracked as any, a temporary table pins the session; one whose skeleton
 * says less than its text (a DO block whose code was left out) may do anything, and pins it until
 * {@code DISCARD ALL}. (A Query of 256 MB through a proxy with a 128 MB heap: {@code LargeResultIT}.)
 */
class LargeQueryIT {

    private static final int LIMIT = 64 * 1024;

    @Test
    void aQueryLongerThanPgrouteHoldsRunsOnThePrimaryAndIsTrackedByItsSkeleton() throws Exception {
        String table = "large_query_t";
        String bystander = "large_query_bystander";
        String cache = "  enabled: true\n  redis: " + ProxyFixture.get().cluster().redis().orElseThrow().uri() + "\n";
        String limits = "  max_frame_bytes: 16MiB\n  max_read_query_bytes: 64kB\n  shutdown_timeout: 5s\n";
        try (PgrouteServer server = ProxyFixture.server("large-query.yaml", Map.of("cache", cache,
                "limits", limits));
             WireClient client = WireClient.connect(server.port(), "trusted", "app");
             WireClient other = WireClient.connect(server.port(), "trusted", "app")) {
            for (String each : new String[] {table, bystander}) {
                client.send(new Query("DROP TABLE IF EXISTS " + each + "; CREATE TABLE " + each + " (id int, v text)"));
                assertThat(WireClient.types(client.readUntilReady())).doesNotContain("E");
            }
            for (String each : new String[] {table, bystander}) {
                await(each + "'s count answered from the cache").atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(50)).until(() -> {
                            long before = hits(server);
                            assertThat(value(other, "SELECT count(*) FROM " + each)).isEqualTo("0");
                            return hits(server) > before;
                        });
            }

            String big = "v".repeat(4 * LIMIT);
            client.send(new Query("INSERT INTO " + table + " VALUES (1, '" + big + "'); "
                    + "SELECT pg_is_in_recovery()::text || ' ' || pg_backend_pid()"));
            List<WireClient.Message> answer = client.readUntilReady();
            assertThat(WireClient.types(answer)).as("PostgreSQL's answer to both statements").isEqualTo("CTDCZ");
            String[] where = answer.get(2).firstValue().split(" ");
            assertThat(where[0]).as("on the primary").isEqualTo("false");

            assertThat(value(other, "SELECT count(*) FROM " + table)).as("not the count cached before").isEqualTo("1");
            long before = hits(server);
            assertThat(value(other, "SELECT count(*) FROM " + bystander)).isEqualTo("0");
            assertThat(hits(server)).as("only the table it writes invalidated, named by its skeleton")
                    .isGreaterThan(before);
            assertThat(value(other, "SELECT length(v) FROM " + table)).isEqualTo(String.valueOf(4 * LIMIT));
            assertThat(server.sessions().pinnedCount()).as("tracked from its skeleton: a write does not pin").isZero();

            // a bulk INSERT of short constants: its skeleton keeps one row (the whole text is past the skeleton's limit)
            await(table + "'s count answered from the cache").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        long earlier = hits(server);
                        assertThat(value(other, "SELECT count(*) FROM " + table)).isEqualTo("1");
                        return hits(server) > earlier;
                    });
            StringBuilder bulk = new StringBuilder("INSERT INTO " + table + " (id, v) VALUES ");
            for (int i = 0; i < 10_000; i++) {
                bulk.append(i == 0 ? "" : ", ").append('(').append(i + 2).append(", 'row ").append(i).append("')");
            }
            assertThat(bulk.length()).isGreaterThan(LIMIT).isGreaterThan(4 * Classifier.INLINE_LIMIT);
            client.send(new Query(bulk.toString()));
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("CZ");
            assertThat(value(other, "SELECT count(*) FROM " + table)).as("its rows, not the count cached before")
                    .isEqualTo("10001");
            before = hits(server);
            assertThat(value(other, "SELECT count(*) FROM " + bystander)).isEqualTo("0");
            assertThat(hits(server)).as("a bulk INSERT invalidates the table it writes, not every table")
                    .isGreaterThan(before);
            assertThat(server.sessions().pinnedCount()).as("nor does it pin the session").isZero();
            client.send(new Query("DELETE FROM " + table + " WHERE id >= 2"));
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("CZ");
            await("its session's reads go to the replicas").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> value(client, "SELECT pg_is_in_recovery()::text").equals("true"));

            client.send(new Query("SET work_mem = '7MB'; SELECT length('" + big + "')"));
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("CTDCZ");
            await("its SET is the session's, replayed on a replica").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100)).until(() -> value(client,
                            "SELECT current_setting('work_mem') || ' ' || pg_is_in_recovery()").equals("7MB true"));
            assertThat(server.sessions().pinnedCount()).isZero();

            client.send(new Query("CREATE TEMP TABLE large_query_tmp AS SELECT '" + big + "'::text AS v"));
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("CZ");
            assertThat(server.sessions().pinnedCount()).as("a temporary table pins, read or not").isEqualTo(1);
            String pid = value(client, "SELECT pg_backend_pid()::text");
            for (int i = 0; i < 3; i++) {
                assertThat(value(client, "SELECT length(v)::text || ' ' || pg_backend_pid() FROM large_query_tmp"))
                        .as("read %d: on the connection that holds the table", i)
                        .isEqualTo(4 * LIMIT + " " + pid);
            }
            try (WireClient third = WireClient.connect(server.port(), "trusted", "app")) {
                third.send(new Query("DO $$BEGIN PERFORM length('" + big + "'); END$$"));
                assertThat(WireClient.types(third.readUntilReady())).isEqualTo("CZ");
                assertThat(server.sessions().pinnedCount()).as("a DO block whose code was left out: may do anything")
                        .isEqualTo(2);
            }
            client.send(new Query("DISCARD ALL"));
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("CZ");
            await("after DISCARD ALL the session's reads go to the replicas again").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> value(client, "SELECT pg_is_in_recovery()::text").equals("true"));

            client.send(new Query("SELECT length('" + big + "') AS n"));
            answer = client.readUntilReady();
            assertThat(WireClient.types(answer)).isEqualTo("TDCZ");
            assertThat(answer.get(1).firstValue()).isEqualTo(String.valueOf(4 * LIMIT));
            client.send(new Query("SELECT '" + big + "' + 1"));
            answer = client.readUntilReady();
            assertThat(WireClient.types(answer)).as("the server's error, and the session goes on").isEqualTo("EZ");
            assertThat(answer.get(0).sqlState()).isEqualTo("22P02");
            assertThat(value(client, "SELECT 42")).isEqualTo("42");
        }
        try (Connection c = ProxyFixture.get().connectDirect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*), sum(length(v)) FROM " + table)) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(1);
            assertThat(rs.getLong(2)).isEqualTo(4L * LIMIT);
        }
    }

    /**
     * A client that goes away in the middle of an unread Query leaves its server connection holding half a message:
     * that connection is closed, never handed to the next client (whose statements the server would read as the
     * rest of the text), and the next client on the one-connection pool is served.
     */
    @Test
    void aClientGoneInTheMiddleOfAnUnreadQueryLeavesNoHalfMessageBehind() throws Exception {
        String limits = "  max_frame_bytes: 16MiB\n  max_read_query_bytes: 64kB\n  shutdown_timeout: 5s\n";
        try (PgrouteServer server = ProxyFixture.server("large-query-gone.yaml", Map.of("limits", limits,
                "pool", "  size: 1\n  timeout: 20s\n"))) {
            int pid;
            try (WireClient gone = WireClient.connect(server.port(), "trusted", "app")) {
                pid = Integer.parseInt(value(gone, "/* pgroute: primary */ SELECT pg_backend_pid()"));
                byte[] text = ("SELECT length('" + "g".repeat(8 * LIMIT) + "')\0")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                byte[] message = WireClient.rawMessage('Q', text);
                gone.sendRaw(java.util.Arrays.copyOf(message, 3 * LIMIT));  // past the first piece, not the end
                await("the first pieces went to a server connection").atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(20)).until(() -> server.pools().all().stream()
                                .filter(each -> each.target().node().equals("app/primary"))
                                .anyMatch(each -> each.open() > each.idle()));
                gone.abort();
            }
            try (WireClient next = WireClient.connect(server.port(), "trusted", "app")) {
                await("the next client is served").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                        .until(() -> value(next, "/* pgroute: primary */ SELECT 7").equals("7"));
                assertThat(value(next, "/* pgroute: primary */ SELECT pg_backend_pid()"))
                        .as("not the connection left holding half a message").isNotEqualTo(String.valueOf(pid));
            }
        }
    }

    private static String value(WireClient client, String sql) throws Exception {
        client.send(new Query(sql));
        List<WireClient.Message> answer = client.readUntilReady();
        return answer.stream().filter(each -> each.type() == 'D').findFirst().orElseThrow(
                () -> new AssertionError(sql + ": " + answer)).firstValue();
    }

    private static long hits(PgrouteServer server) {
        return server.resultCache().orElseThrow().redis().stats().hits();
    }
}
