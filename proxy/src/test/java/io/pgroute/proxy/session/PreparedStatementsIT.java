package io.pgroute.proxy.session;

import io.pgroute.config.ConfigLoader;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Flush;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.session.WireClient.Message;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prepared statements follow their client across backend connections: pgjdbc's server-prepared statements under
 * load on a pool of four, batches and metadata, and the raw message patterns of lib/pq (the unnamed statement over
 * two Syncs), asyncpg (Parse+Describe+Flush, no Sync) and an error inside a batch.
 */
class PreparedStatementsIT {

    private static final int THREADS = 32;
    private static final int ITERATIONS = 100;
    private static final int INT4 = 23;

    private static ProxyFixture fixture;
    /** pool.size 4: statements move between connections. */
    private static PgrouteServer server;
    /** pool.size 1: every client shares one backend connection, deterministically. */
    private static PgrouteServer single;

    @BeforeAll
    static void start() throws Exception {
        fixture = ProxyFixture.get();
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS ps_items (id serial PRIMARY KEY, owner int NOT NULL,"
                    + " n int NOT NULL, note text NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS ps_batch (id int PRIMARY KEY, note text NOT NULL)");
            s.execute("TRUNCATE ps_items, ps_batch");
        }
        server = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(fixture.cluster(), Map.of("pool",
                "  size: 4")), "prepared.yaml", System::getenv), 1).start();
        single = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(fixture.cluster(), Map.of("pool",
                "  size: 1")), "prepared-single.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (single != null) {
            single.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"extended", "extendedCacheEverything"})
    void everyPreparedStatementAnswersExactlyUnderLoad(String mode) throws Exception {
        Properties props = new Properties();
        props.setProperty("prepareThreshold", "1");
        props.setProperty("preferQueryMode", mode);
        int ownerBase = mode.equals("extended") ? 1_000 : 2_000;
        Set<Integer> pids = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int thread = 0; thread < THREADS; thread++) {
                int owner = ownerBase + thread;
                results.add(pool.submit(() -> runClient(props, owner, pids)));
            }
            int moved = 0;
            for (Future<Integer> each : results) {
                moved += each.get(60, TimeUnit.SECONDS) > 1 ? 1 : 0;
            }
            assertThat(pids).as("backend connections used").hasSizeGreaterThanOrEqualTo(2);
            assertThat(moved).as("clients whose statements ran on more than one backend").isPositive();
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(DISTINCT owner), count(*), sum(n - owner)::bigint"
                     + " FROM ps_items WHERE owner BETWEEN " + ownerBase + " AND " + (ownerBase + THREADS - 1))) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(THREADS);
            assertThat(rs.getInt(2)).isEqualTo(THREADS * ITERATIONS);
            assertThat(rs.getLong(3)).isEqualTo((long) THREADS * ITERATIONS * (ITERATIONS - 1) / 2);
        }
    }

    /** One client's 200 iterations; returns how many backend connections it ran on. */
    private static int runClient(Properties props, int owner, Set<Integer> allPids) throws SQLException {
        Set<Integer> pids = new HashSet<>();
        try (Connection c = connect(server, props);
             PreparedStatement insert = c.prepareStatement(
                     "INSERT INTO ps_items (owner, n, note) VALUES (?, ?, ?) RETURNING id");
             PreparedStatement update = c.prepareStatement("UPDATE ps_items SET n = n + ? WHERE id = ?");
             PreparedStatement select = c.prepareStatement(
                     "SELECT owner, n, note, pg_backend_pid() FROM ps_items WHERE id = ?");
             PreparedStatement mixed = c.prepareStatement("SELECT ?::int + 1, upper(?::text), ?::numeric * 2")) {
            for (int i = 0; i < ITERATIONS; i++) {
                String note = "note-" + owner + "-" + i;
                insert.setInt(1, owner);
                insert.setInt(2, i);
                insert.setString(3, note);
                int id;
                try (ResultSet rs = insert.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    id = rs.getInt(1);
                }
                update.setInt(1, owner);
                update.setInt(2, id);
                assertThat(update.executeUpdate()).isOne();
                select.setInt(1, id);
                try (ResultSet rs = select.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(owner);
                    assertThat(rs.getInt(2)).isEqualTo(i + owner);
                    assertThat(rs.getString(3)).isEqualTo(note);
                    pids.add(rs.getInt(4));
                    assertThat(rs.next()).isFalse();
                }
                mixed.setInt(1, i);
                mixed.setString(2, note);
                mixed.setBigDecimal(3, new BigDecimal(i + ".25"));
                try (ResultSet rs = mixed.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(i + 1);
                    assertThat(rs.getString(2)).isEqualTo(note.toUpperCase(java.util.Locale.ROOT));
                    assertThat(rs.getBigDecimal(3)).isEqualByComparingTo(new BigDecimal(2 * i + ".50"));
                }
            }
        }
        allPids.addAll(pids);
        return pids.size();
    }

    @Test
    void runsABatchOfFiveHundredPreparedInserts() throws Exception {
        Properties props = new Properties();
        props.setProperty("prepareThreshold", "1");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (int batch = 0; batch < 2; batch++) {
                int base = batch * 10_000;
                results.add(pool.submit(() -> {
                    try (Connection c = connect(server, props);
                         PreparedStatement insert = c.prepareStatement(
                                 "INSERT INTO ps_batch (id, note) VALUES (?, ?)")) {
                        for (int i = 0; i < 500; i++) {
                            insert.setInt(1, base + i);
                            insert.setString(2, "batch-" + (base + i));
                            insert.addBatch();
                        }
                        return insert.executeBatch();
                    }
                }));
            }
            for (Future<int[]> each : results) {
                int[] counts = each.get(30, TimeUnit.SECONDS);
                assertThat(counts).hasSize(500).containsOnly(1);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*), count(*) FILTER (WHERE note = 'batch-' || id)"
                     + " FROM ps_batch")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(1_000);
            assertThat(rs.getInt(2)).isEqualTo(1_000);
        }
    }

    /**
     * COMPAT E11: pgjdbc's {@code getMetaData()}/{@code getParameterMetaData()} (Parse, Describe of the statement, Sync)
     * answer the same before and after the statement moved to connections that never saw it, with other clients busy.
     */
    @Test
    void describesPreparedStatementsBeforeAndAfterTheyMove() throws Exception {
        Properties props = new Properties();
        props.setProperty("prepareThreshold", "1");
        String sql = "SELECT id, owner, note FROM ps_items WHERE owner = ? AND note = ?";
        try (BackgroundClients others = new BackgroundClients(4, () -> connect(server, new Properties()),
                defaults())) {
            for (int client = 0; client < 3; client++) {
                try (Connection c = connect(server, props); PreparedStatement ps = c.prepareStatement(sql)) {
                    assertDescription(ps);
                    for (int i = 0; i < 10; i++) {
                        ps.setInt(1, -1);
                        ps.setString(2, "none");
                        try (ResultSet rs = ps.executeQuery()) {
                            assertThat(rs.next()).isFalse();
                        }
                    }
                    assertDescription(ps);
                }
            }
        }
    }

    private static void assertDescription(PreparedStatement ps) throws SQLException {
        ResultSetMetaData columns = ps.getMetaData();
        assertThat(columns.getColumnCount()).isEqualTo(3);
        assertThat(List.of(columns.getColumnName(1), columns.getColumnName(2), columns.getColumnName(3)))
                .containsExactly("id", "owner", "note");
        assertThat(List.of(columns.getColumnType(1), columns.getColumnType(2), columns.getColumnType(3)))
                .containsExactly(Types.INTEGER, Types.INTEGER, Types.VARCHAR);
        ParameterMetaData parameters = ps.getParameterMetaData();
        assertThat(parameters.getParameterCount()).isEqualTo(2);
        assertThat(parameters.getParameterType(1)).isEqualTo(Types.INTEGER);
        assertThat(parameters.getParameterType(2)).isEqualTo(Types.VARCHAR);
    }

    // ---- raw protocol patterns ----

    @Test
    void bindsTheUnnamedStatementParsedInAnEarlierCycleLikeLibPq() throws Exception {
        try (BackgroundClients others = new BackgroundClients(4, () -> connect(server, new Properties()),
                defaults()); WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
            for (int i = 0; i < 50; i++) {
                client.send(new Parse("", "SELECT $1::int + 1", new int[] {INT4}), Sync.INSTANCE);
                assertThat(WireClient.types(client.readUntilReady())).as("Parse+Sync %d", i).isEqualTo("1Z");
                client.send(bind("", "", String.valueOf(i)), new Execute("", 0), Sync.INSTANCE);
                List<Message> reply = client.readUntilReady();
                assertThat(reply).as("Bind+Execute+Sync %d", i).extracting(Message::type)
                        .containsExactly('2', 'D', 'C', 'Z');
                assertThat(reply.get(1).firstValue()).isEqualTo(String.valueOf(i + 1));
            }
        }
    }

    @Test
    void bindsTheUnnamedStatementAfterAnotherClientsSimpleQueryOnTheSameBackend() throws Exception {
        try (WireClient libpq = WireClient.connect(single.port(), "trusted", "app");
             WireClient other = WireClient.connect(single.port(), "trusted", "app")) {
            libpq.send(new Parse("", "SELECT $1::int * 3", new int[] {INT4}), Sync.INSTANCE);
            assertThat(WireClient.types(libpq.readUntilReady())).isEqualTo("1Z");
            other.send(new Query("SELECT 7"));
            assertThat(WireClient.types(other.readUntilReady())).isEqualTo("TDCZ");
            libpq.send(bind("", "", "14"), new Execute("", 0), Sync.INSTANCE);
            List<Message> reply = libpq.readUntilReady();
            assertThat(reply).extracting(Message::toString).containsExactly("2", "D", "C", "Z");
            assertThat(reply.get(1).firstValue()).isEqualTo("42");
        }
    }

    @Test
    void answersParseDescribeFlushWithoutSyncLikeAsyncpg() throws Exception {
        try (WireClient first = WireClient.connect(single.port(), "trusted", "app");
             WireClient second = WireClient.connect(single.port(), "trusted", "app")) {
            for (WireClient each : new WireClient[] {first, second}) {
                String name = "__asyncpg_stmt_1__";
                each.send(new Parse(name, "SELECT $1::int * 2 AS doubled", new int[0]), Describe.statement(name),
                        Flush.INSTANCE);
                assertThat(List.of(each.read(5_000), each.read(5_000), each.read(5_000)))
                        .extracting(Message::type).containsExactly('1', 't', 'T');
                for (int i = 0; i < 3; i++) {
                    each.send(bind("", name, "21"), new Execute("", 0), Sync.INSTANCE);
                    List<Message> reply = each.readUntilReady();
                    assertThat(reply).extracting(Message::toString).containsExactly("2", "D", "C", "Z");
                    assertThat(reply.get(1).firstValue()).isEqualTo("42");
                }
            }
        }
    }

    @Test
    void answersAParseOfAStatementTheBackendAlreadyHasOnFlush() throws Exception {
        try (WireClient client = WireClient.connect(single.port(), "trusted", "app")) {
            String sql = "SELECT $1::int - 1 AS flushed";
            client.send(new Parse("a", sql, new int[] {INT4}), Sync.INSTANCE);
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("1Z");
            client.send(new Parse("b", sql, new int[] {INT4}), Flush.INSTANCE);
            assertThat(client.read(5_000).type()).as("ParseComplete pushed out by Flush").isEqualTo('1');
            client.send(bind("", "b", "43"), new Execute("", 0), Sync.INSTANCE);
            List<Message> reply = client.readUntilReady();
            assertThat(reply).extracting(Message::toString).containsExactly("2", "D", "C", "Z");
            assertThat(reply.get(1).firstValue()).isEqualTo("42");
        }
    }

    @Test
    void answersAnErrorInABatchOnceThenKeepsWorking() throws Exception {
        try (WireClient client = WireClient.connect(server.port(), "trusted", "app")) {
            for (String name : new String[] {"", "broken"}) {
                client.send(new Parse(name, "SELEC 1", new int[0]), bind("", name), new Execute("", 0),
                        Sync.INSTANCE);
                List<Message> reply = client.readUntilReady();
                assertThat(reply).as("statement '%s'", name).extracting(Message::type).containsExactly('E', 'Z');
                assertThat(reply.get(0).sqlState()).isEqualTo("42601");
                assertThat(reply.get(1).body()).containsExactly('I');

                client.send(new Parse(name, "SELECT 5", new int[0]), bind("", name), new Execute("", 0),
                        Sync.INSTANCE);
                reply = client.readUntilReady();
                assertThat(reply).as("statement '%s' parsed again", name).extracting(Message::toString)
                        .containsExactly("1", "2", "D", "C", "Z");
                assertThat(reply.get(2).firstValue()).isEqualTo("5");

                client.send(new Query("SELECT 6"));
                reply = client.readUntilReady();
                assertThat(WireClient.types(reply)).isEqualTo("TDCZ");
                assertThat(reply.get(1).firstValue()).isEqualTo("6");
            }
            client.send(bind("", "never_prepared", "1"), new Execute("", 0), Sync.INSTANCE);
            List<Message> reply = client.readUntilReady();
            assertThat(reply).extracting(Message::type).containsExactly('E', 'Z');
            assertThat(reply.get(0).sqlState()).isEqualTo("26000");
            assertThat(client.silentFor(200)).as("nothing after ReadyForQuery").isTrue();
        }
    }

    private static Bind bind(String portal, String statement, String... textValues) {
        byte[][] values = new byte[textValues.length][];
        for (int i = 0; i < textValues.length; i++) {
            values[i] = textValues[i].getBytes(StandardCharsets.UTF_8);
        }
        return new Bind(portal, statement, new short[0], values, new short[0]);
    }

    /**
     * COMPAT E10: pgjdbc reads by fetch size (a transaction, a named portal, Execute with a row limit and a Sync per
     * batch, named even with {@code prepareThreshold=0}) while eight other clients keep the pool of four busy: every
     * batch is continued on the connection its portal lives on, all 20 000 rows (400 batches) arrive in order, twice,
     * no 34000.
     */
    @ParameterizedTest
    @ValueSource(strings = {"0", "5"})
    void readsByFetchSizeContinueTheirPortalWhileOtherClientsRun(String prepareThreshold) throws Exception {
        Properties props = new Properties();
        props.setProperty("prepareThreshold", prepareThreshold);
        try (BackgroundClients others = new BackgroundClients(8, () -> connect(server, new Properties()),
                defaults()); Connection c = connect(server, props)) {
            c.setAutoCommit(false);
            for (int round = 0; round < 2; round++) {
                try (PreparedStatement p = c.prepareStatement("SELECT i, md5(i::text) FROM generate_series(1, ?) i")) {
                    p.setFetchSize(50);
                    p.setInt(1, 20_000);
                    try (ResultSet rs = p.executeQuery()) {
                        int expected = 0;
                        while (rs.next()) {
                            assertThat(rs.getInt(1)).isEqualTo(++expected);
                        }
                        assertThat(expected).as("round %d", round).isEqualTo(20_000);
                    }
                }
                c.commit();
            }
        }
    }

    private static BackgroundClients.Settings defaults() throws SQLException {
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            return BackgroundClients.read(s);
        }
    }

    private static Connection connect(PgrouteServer target, Properties extra) throws SQLException {
        Properties props = new Properties();
        props.putAll(extra);
        props.setProperty("user", "app");
        props.setProperty("password", "app");
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + target.port() + "/"
                + ProxyFixture.DATABASE, props);
    }

    /**
     * COMPAT V14: postgres.js with {@code prepare: true} (here pgjdbc with {@code prepareThreshold=1}) runs BEGIN,
     * its INSERT and COMMIT as named statements. A Bind of the named COMMIT on a connection that lacks it must be
     * prepared there first, never answered 26000: PostgreSQL would abort the transaction and a retried COMMIT would
     * become a ROLLBACK, a lost write. Eight clients commit at least 100 transactions each on a pool of four while
     * another client prepares 3 000 distinct statements (each connection keeps 512 and evicts the oldest, COMPAT V7):
     * every transaction commits, every row is there.
     */
    @Test
    void namedTransactionControlCommitsEveryTimeWhileStatementsChurn() throws Exception {
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS ps_named_tx (owner int NOT NULL, n int NOT NULL)");
            s.execute("TRUNCATE ps_named_tx");
        }
        Properties props = new Properties();
        props.setProperty("user", "app");
        props.setProperty("password", "app");
        props.setProperty("prepareThreshold", "1");
        String url = "jdbc:postgresql://127.0.0.1:" + server.port() + "/app";
        int clients = 8;
        int transactions = 100;
        java.util.concurrent.atomic.AtomicBoolean committing = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<Integer> committedBy = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(clients + 1);
        try {
            java.util.concurrent.atomic.AtomicInteger prepared = new java.util.concurrent.atomic.AtomicInteger();
            Future<Integer> churn = pool.submit(() -> {
                try (Connection c = DriverManager.getConnection(url, props)) {
                    while (committing.get()) {
                        try (PreparedStatement p = c.prepareStatement("SELECT " + prepared.get() + " AS churn")) {
                            p.executeQuery().close();
                        }
                        prepared.incrementAndGet();
                    }
                }
                return prepared.get();
            });
            List<Future<Integer>> committers = new ArrayList<>();
            for (int client = 0; client < clients; client++) {
                int owner = client;
                committers.add(pool.submit(() -> {
                    int committed = 0;
                    try (Connection c = DriverManager.getConnection(url, props);
                         PreparedStatement begin = c.prepareStatement("BEGIN");
                         PreparedStatement insert = c.prepareStatement(
                                 "INSERT INTO ps_named_tx (owner, n) VALUES (?, ?)");
                         PreparedStatement commit = c.prepareStatement("COMMIT")) {
                        // at least 100, and on until the other client prepared 3 000 statements
                        for (int i = 0; i < transactions || prepared.get() < 3_000; i++) {
                            begin.execute();
                            insert.setInt(1, owner);
                            insert.setInt(2, i);
                            assertThat(insert.executeUpdate()).isEqualTo(1);
                            commit.execute();
                            committed++;
                        }
                    }
                    return committed;
                }));
            }
            try {
                for (Future<Integer> each : committers) {
                    committedBy.add(each.get(120, TimeUnit.SECONDS));
                }
            } finally {
                committing.set(false);
            }
            assertThat(churn.get(30, TimeUnit.SECONDS)).as("statements the churning client prepared")
                    .isGreaterThanOrEqualTo(3_000);
        } finally {
            pool.shutdownNow();
        }
        try (Connection c = fixture.connectDirect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT owner, count(*), count(DISTINCT n) FROM ps_named_tx "
                     + "GROUP BY owner ORDER BY owner")) {
            int owners = 0;
            while (rs.next()) {
                int committed = committedBy.get(rs.getInt(1));
                assertThat(committed).isGreaterThanOrEqualTo(transactions);
                assertThat(rs.getInt(2)).as("rows of client %d", rs.getInt(1)).isEqualTo(committed);
                assertThat(rs.getInt(3)).isEqualTo(committed);
                owners++;
            }
            assertThat(owners).isEqualTo(clients);
        }
    }
}
