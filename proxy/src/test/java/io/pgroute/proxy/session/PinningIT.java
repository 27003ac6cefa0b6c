package io.pgroute.proxy.session;

import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.session.BackgroundClients.Settings;
import io.pgroute.proxy.testing.ProxyFixture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * State that cannot move to another backend connection — temp tables, LISTEN, session advisory locks — pins the
 * client to its connection while that state lasts, while other clients keep sharing the rest of a pool of two; when
 * the pinned client leaves, its connection is cleaned before anyone else gets it.
 */
class PinningIT {

    private static ProxyFixture fixture;
    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        fixture = ProxyFixture.get();
        server = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(fixture.cluster(), Map.of("pool",
                "  size: 2")), "pinning.yaml", System::getenv), 1).start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void keepsATempTableForTheRestOfTheSession() throws Exception {
        try (BackgroundClients others = new BackgroundClients(3, PinningIT::connect, defaults());
             Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE pin_temp (id int)");
            others.forgetPids();
            int pid = pid(s);
            s.execute("INSERT INTO pin_temp VALUES (1), (2), (3)");
            for (int i = 0; i < 20; i++) {
                s.execute("INSERT INTO pin_temp VALUES (" + (10 + i) + ")");
                assertThat(scalarInt(s, "SELECT count(*) FROM pin_temp")).as("statement %d", i).isEqualTo(4 + i);
                assertThat(pid(s)).as("pinned backend").isEqualTo(pid);
            }
            c.setAutoCommit(false);
            assertThat(scalarInt(s, "SELECT sum(id) FROM pin_temp")).isEqualTo(6 + 20 * 10 + 190);
            c.commit();
            assertThat(others.pids()).as("the others never ran on the pinned backend").doesNotContain(pid);
        }
    }

    @Test
    void keepsATempTableMadeBySelectInto() throws Exception {
        try (BackgroundClients others = new BackgroundClients(3, PinningIT::connect, defaults());
             Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("SELECT g AS id INTO TEMP pin_into FROM generate_series(1, 3) g");  // COMPAT T9
            for (int i = 0; i < 50; i++) {
                assertThat(scalarInt(s, "SELECT count(*) FROM pin_into")).as("statement %d", i).isEqualTo(3);
            }
        }
    }

    @Test
    void aDoBlockThatSetsASettingKeepsItFromTheNextClient() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DO $$ BEGIN PERFORM set_config('app.tenant', '42', false); END $$");  // COMPAT G4
            for (int i = 0; i < 20; i++) {
                try (ResultSet rs = s.executeQuery("SELECT current_setting('app.tenant', true)")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).as("statement %d", i).isEqualTo("42");
                }
            }
        }
        for (int client = 0; client < 4; client++) {
            try (Connection next = connect(); Statement s = next.createStatement()) {
                for (int i = 0; i < 10; i++) {
                    try (ResultSet rs = s.executeQuery("/* pgroute: primary */ SELECT current_setting('app.tenant',"
                            + " true)")) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getString(1)).as("client %d, statement %d", client, i).isNullOrEmpty();
                    }
                }
            }
        }
    }

    @Test
    void deliversNotificationsToAListeningClient() throws Exception {
        try (BackgroundClients others = new BackgroundClients(2, PinningIT::connect, defaults());
             Connection listener = connect(); Statement ls = listener.createStatement();
             Connection notifier = connect(); Statement ns = notifier.createStatement()) {
            ls.execute("LISTEN pin_channel");
            PGConnection pg = listener.unwrap(PGConnection.class);
            List<String> received = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                ns.execute("NOTIFY pin_channel, 'message-" + i + "'");
                if (i % 3 == 0) {
                    assertThat(scalarInt(ls, "SELECT 1")).isEqualTo(1);  // the listener keeps working meanwhile
                }
                PGNotification[] batch = pg.getNotifications(5_000);
                assertThat(batch).as("notification %d arrived", i).isNotEmpty();
                for (PGNotification each : batch) {
                    assertThat(each.getName()).isEqualTo("pin_channel");
                    received.add(each.getParameter());
                }
            }
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
                for (PGNotification each : pg.getNotifications(100)) {
                    received.add(each.getParameter());
                }
                return received.size() >= 10;
            });
            assertThat(received).hasSize(10).startsWith("message-0").endsWith("message-9");
            assertThat(notifier.unwrap(PGConnection.class).getNotifications(200)).isEmpty();
        }
    }

    /**
     * COMPAT T8: a listener gets every one of 1 000 notifications, in order, while clients sharing pgroute with it
     * receive none; a LISTEN it rolled back with its transaction listens to nothing, as on the server (what was sent
     * to that channel went before the last of the thousand, so it would have arrived by then).
     */
    @Test
    void aThousandNotificationsReachOnlyTheListenerAndARolledBackListenHearsNothing() throws Exception {
        try (Connection listener = connect(); Statement ls = listener.createStatement();
             Connection notifier = connect(); Statement ns = notifier.createStatement();
             Connection bystander = connect(); Statement bs = bystander.createStatement()) {
            ls.execute("LISTEN t8_channel");
            listener.setAutoCommit(false);
            ls.execute("LISTEN t8_rolled_back");
            listener.rollback();
            listener.setAutoCommit(true);
            for (int i = 0; i < 1_000; i++) {
                if (i % 100 == 0) {
                    ns.execute("NOTIFY t8_rolled_back, '" + i + "'");
                    assertThat(scalarInt(bs, "SELECT " + i)).isEqualTo(i);
                    assertThat(scalarInt(ls, "SELECT " + i)).isEqualTo(i);
                }
                ns.execute("NOTIFY t8_channel, '" + i + "'");
            }
            List<String> received = new ArrayList<>();
            PGConnection listenerPg = listener.unwrap(PGConnection.class);
            Awaitility.await("a thousand notifications").atMost(Duration.ofSeconds(30)).until(() -> {
                for (PGNotification each : listenerPg.getNotifications(100)) {
                    received.add(each.getName() + ":" + each.getParameter());
                }
                return received.size() >= 1_000;
            });
            assertThat(received).as("in the order sent, none of the rolled-back channel")
                    .isEqualTo(IntStream.range(0, 1_000).mapToObj(i -> "t8_channel:" + i).toList());
            assertThat(listenerPg.getNotifications(200)).as("after the thousand").isEmpty();
            assertThat(bystander.unwrap(PGConnection.class).getNotifications(200)).as("the bystander").isEmpty();
            assertThat(notifier.unwrap(PGConnection.class).getNotifications(200)).as("the notifier").isEmpty();
        }
    }

    @Test
    void holdsASessionAdvisoryLockAcrossStatements() throws Exception {
        try (BackgroundClients others = new BackgroundClients(3, PinningIT::connect, defaults());
             Connection c = connect(); Statement s = c.createStatement();
             Connection superuser = superuser(); Statement ss = superuser.createStatement()) {
            s.execute("SELECT pg_advisory_lock(424242)");
            int pid = pid(s);
            others.forgetPids();
            for (int i = 0; i < 10; i++) {
                assertThat(scalarInt(s, "SELECT " + i)).isEqualTo(i);
                assertThat(scalarInt(ss, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                        + " AND objid = 424242 AND granted AND pid = " + pid)).as("lock held after %d", i).isOne();
            }
            assertThat(others.pids()).as("the others never ran on the pinned backend").doesNotContain(pid);
            assertThat(scalarString(s, "SELECT pg_advisory_unlock(424242)::text"))
                    .as("the unlock runs on the backend that holds the lock").isEqualTo("true");
            // the last lock is gone: the session gives its connection back (onlyALockHeldKeepsTheSessionPinned)
            assertThat(aReplicaAnswers(s)).as("unpinned").isTrue();
        }
    }

    @Test
    void cleansAPinnedBackendBeforeTheNextClientGetsIt() throws Exception {
        int pinnedPid;
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE pin_leftover (id int)");
            s.execute("LISTEN pin_leftover_channel");
            s.execute("SELECT pg_advisory_lock(434343)");
            pinnedPid = pid(s);
        }
        try (Connection superuser = superuser(); Statement ss = superuser.createStatement();
             Connection notifier = connect(); Statement ns = notifier.createStatement()) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(scalarInt(ss,
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 434343")).isZero());
            boolean reached = false;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!reached && System.nanoTime() < deadline) {
                try (Connection next = connect(); Statement s = next.createStatement()) {
                    for (int i = 0; i < 5 && !reached; i++) {
                        if (scalarInt(s, "/* pgroute: primary */ SELECT pg_backend_pid()") != pinnedPid) {
                            continue;
                        }
                        reached = true;
                        assertThat(scalarString(s,
                                "/* pgroute: primary */ SELECT coalesce(to_regclass('pin_leftover')::text, 'none')"))
                                .isEqualTo("none");
                        assertThat(scalarInt(s,
                                "/* pgroute: primary */ SELECT count(*) FROM pg_listening_channels()")).isZero();
                        ns.execute("NOTIFY pin_leftover_channel, 'nobody listens'");
                        assertThat(next.unwrap(PGConnection.class).getNotifications(300)).isEmpty();
                    }
                }
            }
            assertThat(reached).as("a later client ran on the formerly pinned backend %d", pinnedPid).isTrue();
        }
    }

    /**
     * COMPAT G8. A pin lasts while its state does: asyncpg's connection release ({@code SELECT pg_advisory_unlock_all(); CLOSE
     * ALL; UNLISTEN *; RESET ALL;}, one Query) frees a session pinned by an advisory lock and a LISTEN, and its reads
     * spread over the replicas again; with a temporary table as well, only DISCARD ALL does. Until then every read
     * runs on the pinned primary connection and sees the session's own state.
     */
    @Test
    void givesUpItsConnectionOnceWhatPinnedItIsGone() throws Exception {
        for (Properties mode : PROTOCOLS) {
            String label = label(mode);
            try (Connection c = connect(mode); Statement s = c.createStatement();
                 Connection superuser = superuser(); Statement ss = superuser.createStatement()) {
                s.execute("SELECT pg_advisory_lock(454545)");
                s.execute("LISTEN pin_release");
                assertThat(nodesAnswering(s, 20)).as("%s: pinned", label).containsExactly("primary");
                s.execute("BEGIN; UNLISTEN *; ROLLBACK");
                assertThat(nodesAnswering(s, 20)).as("%s: an UNLISTEN rolled back", label).containsExactly("primary");

                s.execute("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;");
                assertThat(locks(ss, 454545)).isZero();
                assertThat(aReplicaAnswers(s)).as("%s: after asyncpg's release", label).isTrue();

                s.execute("CREATE TEMP TABLE pin_release_temp (id int)");
                s.execute("LISTEN pin_release");
                s.execute("UNLISTEN *");
                for (int i = 0; i < 20; i++) {
                    assertThat(scalarInt(s, "SELECT count(*) FROM pin_release_temp")).as("%s: %d", label, i).isZero();
                }
                assertThat(nodesAnswering(s, 20)).as("%s: a temp table is left", label).containsExactly("primary");
                s.execute("DISCARD ALL");
                assertThat(aReplicaAnswers(s)).as("%s: after DISCARD ALL", label).isTrue();
                assertThat(scalarString(s, "/* pgroute: primary */ SELECT coalesce(to_regclass('pin_release_temp')"
                        + "::text, 'none')")).isEqualTo("none");
            }
        }
    }

    /**
     * A LISTEN, temporary table, WITH HOLD cursor or SET SESSION CHARACTERISTICS that PostgreSQL undid (its transaction
     * or savepoint rolled back, or its implicit transaction failed) pins the session no more: reads go to the replicas
     * again. A session advisory lock taken in a transaction that rolls back is still held, and still pins.
     */
    @Test
    void aRollbackUndoesThePinOfTheStateItUndid() throws Exception {
        String[] undone = {"BEGIN; LISTEN pin_undone; ROLLBACK",
                "BEGIN; CREATE TEMP TABLE pin_undone_temp (id int); ROLLBACK",
                "BEGIN; SAVEPOINT s; DECLARE pin_undone_cursor CURSOR WITH HOLD FOR SELECT 1; ROLLBACK TO s; COMMIT",
                "BEGIN; SAVEPOINT s; SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE; "
                        + "ROLLBACK TO s; COMMIT",
                "LISTEN pin_undone; SELECT 1/0"};
        for (Properties mode : PROTOCOLS) {
            String label = label(mode);
            try (Connection c = connect(mode); Statement s = c.createStatement();
                 Connection superuser = superuser(); Statement ss = superuser.createStatement()) {
                for (String each : undone) {
                    try {
                        s.execute(each);
                    } catch (SQLException expected) {
                        assertThat(expected.getSQLState()).as("%s: %s", label, each).isEqualTo("22012");
                    }
                    assertThat(aReplicaAnswers(s)).as("%s: %s", label, each).isTrue();
                }
                assertThat(scalarInt(ss, "SELECT count(*) FROM pg_class WHERE relname = 'pin_undone_temp'"))
                        .as("%s: no session has the temporary table", label).isZero();

                s.execute("CREATE TEMP TABLE pin_discarded_temp (id int)");
                assertThat(nodesAnswering(s, 20)).as("%s: a temporary table", label).containsExactly("primary");
                s.execute("DISCARD TEMP");
                assertThat(aReplicaAnswers(s)).as("%s: after DISCARD TEMP (COMPAT T9)", label).isTrue();

                s.execute("BEGIN; SELECT pg_advisory_lock(565656); ROLLBACK");
                assertThat(locks(ss, 565656)).as("%s: the lock outlives the rollback", label).isEqualTo(1);
                assertThat(nodesAnswering(s, 20)).as("%s: so it still pins", label).containsExactly("primary");
                s.execute("SELECT pg_advisory_unlock_all()");
                assertThat(aReplicaAnswers(s)).as("%s: unlocked", label).isTrue();
            }
        }
    }

    /**
     * COMPAT T9: LOAD puts a library into the server process, and nothing but the end of that process takes it out
     * (not a rollback, not DISCARD ALL). The session keeps its connection, and when it leaves that connection is
     * closed, so no other client gets a server with the library loaded. (LOAD of a library outside $libdir/plugins needs a
     * superuser: this pgroute connects to the servers as one.)
     */
    @Test
    void aLoadedLibraryStaysWithItsSessionAndLeavesWithIt() throws Exception {
        PgrouteServer loader = ProxyFixture.startAsRole("pin_loader", "loader", Map.of("pool", "  size: 2"),
                "ALTER ROLE pin_loader SUPERUSER");
        String setting = "/* pgroute: primary */ SELECT coalesce("
                + "current_setting('auto_explain.log_min_duration', true), 'not loaded')";
        try (Connection superuser = superuser(); Statement ss = superuser.createStatement()) {
            int loadedPid;
            try (Connection c = ProxyFixture.connectAs(loader, ProxyFixture.DATABASE, "app", "app");
                 Statement s = c.createStatement()) {
                s.execute("BEGIN; LOAD 'auto_explain'; ROLLBACK");
                s.execute("DISCARD ALL");
                loadedPid = pid(s);
                for (int i = 0; i < 20; i++) {
                    assertThat(scalarString(s, "SELECT pg_backend_pid() || ' ' || pg_is_in_recovery() || ' '"
                            + " || current_setting('auto_explain.log_min_duration', true)"))
                            .as("read %d: on its own primary connection, the library loaded", i)
                            .isEqualTo(loadedPid + " false -1");
                }
            }
            Awaitility.await("the loaded connection closed").atMost(Duration.ofSeconds(10)).until(() ->
                    scalarInt(ss, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + loadedPid) == 0);
            try (BackgroundClients others = new BackgroundClients(3,
                    () -> ProxyFixture.connectAs(loader, ProxyFixture.DATABASE, "app", "app"), defaults());
                 Connection c = ProxyFixture.connectAs(loader, ProxyFixture.DATABASE, "app", "app");
                 Statement s = c.createStatement()) {
                for (int i = 0; i < 20; i++) {
                    assertThat(scalarString(s, setting)).as("another client, read %d", i).isEqualTo("not loaded");
                }
            }
        } finally {
            loader.close();
        }
    }

    /**
     * COMPAT T7: a session advisory lock pins its session, and only while the session holds one. A try-lock that got
     * nothing does not keep the session pinned, nor does unlocking the last lock of a stack; pgroute asks the server
     * ({@code pg_locks}) once the session is idle. In both protocols, in and out of a transaction.
     */
    @Test
    void onlyALockHeldKeepsTheSessionPinned() throws Exception {
        for (Properties mode : PROTOCOLS) {
            String label = label(mode);
            try (Connection a = connect(mode); Statement as = a.createStatement();
                 Connection b = connect(mode); Statement bs = b.createStatement();
                 Connection superuser = superuser(); Statement ss = superuser.createStatement()) {
                assertThat(scalarString(as, "SELECT pg_try_advisory_lock(4242)")).isEqualTo("t");
                assertThat(nodesAnswering(as, 20)).as("%s: the holder", label).containsExactly("primary");
                assertThat(scalarString(bs, "SELECT pg_catalog.pg_try_advisory_lock(4242)")).isEqualTo("f");
                assertThat(aReplicaAnswers(bs)).as("%s: a try-lock that failed", label).isTrue();
                bs.execute("BEGIN");
                assertThat(scalarString(bs, "SELECT pg_try_advisory_lock(4242)")).isEqualTo("f");
                bs.execute("COMMIT");
                assertThat(aReplicaAnswers(bs)).as("%s: one that failed in a transaction", label).isTrue();

                assertThat(scalarString(as, "SELECT pg_try_advisory_lock(4242)")).isEqualTo("t");  // stacked
                assertThat(scalarString(as, "SELECT pg_advisory_unlock(4242)")).isEqualTo("t");
                assertThat(nodesAnswering(as, 20)).as("%s: one of two unlocked", label).containsExactly("primary");
                assertThat(locks(ss, 4242)).isEqualTo(1);
                assertThat(scalarString(as, "SELECT pg_advisory_unlock(4242)")).isEqualTo("t");
                assertThat(locks(ss, 4242)).isZero();
                assertThat(aReplicaAnswers(as)).as("%s: the last one unlocked", label).isTrue();

                assertThat(scalarString(bs, "SELECT pg_try_advisory_lock(4242)")).as("%s: free now", label)
                        .isEqualTo("t");
                assertThat(nodesAnswering(bs, 20)).as("%s: the new holder", label).containsExactly("primary");
                bs.execute("SELECT pg_advisory_unlock_all()");
            }
        }
    }

    /**
     * Two pieces of state of one kind, one of them ended: the session stays pinned and the other still works on its
     * connection; the other ended too: the session is unpinned. An unlock, {@code UNLISTEN ch}, {@code DEALLOCATE p},
     * a {@code DROP} or {@code CLOSE c} may end the last piece, so pgroute asks the server what is left.
     */
    private record TwoOfAKind(String kind, List<String> make, String endOne, String useOther, int other,
                              String endOther) {
    }

    /** The same as for advisory locks above, for channels, SQL-prepared statements, temporary objects, cursors. */
    @Test
    void theLastOfEachKindEndedUnpins() throws Exception {
        List<TwoOfAKind> kinds = List.of(
                new TwoOfAKind("channels", List.of("LISTEN pin_one", "LISTEN pin_two"), "UNLISTEN pin_one",
                        "SELECT count(*) FROM pg_listening_channels()", 1, "BEGIN; UNLISTEN pin_two; COMMIT"),
                new TwoOfAKind("statements", List.of("PREPARE pin_p AS SELECT 1", "PREPARE pin_q AS SELECT 2"),
                        "DEALLOCATE pin_p", "EXECUTE pin_q", 2, "DEALLOCATE PREPARE pin_q"),
                new TwoOfAKind("temporary tables", List.of("CREATE TEMP TABLE pin_a (x int)",
                        "CREATE TABLE pg_temp.pin_b (x int)", "INSERT INTO pin_b VALUES (5)"), "DROP TABLE pin_a",
                        "SELECT x FROM pin_b", 5, "DROP TABLE pg_temp.pin_b"),
                new TwoOfAKind("a temporary function and table", List.of("CREATE TEMP TABLE pin_t (x int)",
                        "CREATE FUNCTION pg_temp.pin_f() RETURNS int LANGUAGE sql AS 'SELECT 7'"),
                        "DROP TABLE pin_t", "SELECT pg_temp.pin_f()", 7, "DROP FUNCTION pg_temp.pin_f()"),
                new TwoOfAKind("held cursors", List.of("DECLARE pin_c1 CURSOR WITH HOLD FOR SELECT 1",
                        "DECLARE pin_c2 CURSOR WITH HOLD FOR SELECT 2"), "CLOSE pin_c1", "FETCH pin_c2", 2,
                        "CLOSE pin_c2"));
        for (Properties mode : PROTOCOLS) {
            try (Connection c = connect(mode); Statement s = c.createStatement()) {
                for (TwoOfAKind each : kinds) {
                    String label = label(mode) + ", " + each.kind();
                    for (String statement : each.make()) {
                        s.execute(statement);
                    }
                    s.execute(each.endOne());
                    assertThat(nodesAnswering(s, 20)).as("%s: one left", label).containsExactly("primary");
                    assertThat(scalarInt(s, each.useOther())).as(label).isEqualTo(each.other());
                    s.execute(each.endOther());
                    assertThat(aReplicaAnswers(s)).as("%s: none left", label).isTrue();
                }
            }
        }
    }

    /**
     * Whether a read is answered by a replica within 10 s: at once when the session wrote nothing, else once a replica
     * has replayed its last write (creating a temp table writes the catalog), as read-your-writes wants.
     */
    private static boolean aReplicaAnswers(Statement s) throws SQLException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (nodesAnswering(s, 10).contains("replica")) {
                return true;
            }
        }
        return false;
    }

    /** Which kinds of node answered {@code times} reads. */
    private static Set<String> nodesAnswering(Statement s, int times) throws SQLException {
        Set<String> result = new HashSet<>();
        for (int i = 0; i < times; i++) {
            result.add(scalarString(s, "SELECT pg_is_in_recovery()").equals("t") ? "replica" : "primary");
        }
        return result;
    }

    /**
     * DISCARD ALL from a pinned client (a client-side pool resetting its connection) ends what pinned it, as on a
     * direct connection: the advisory lock is released, the LISTEN is gone, and pgjdbc's server-prepared statement
     * still runs (pgjdbc sees the DISCARD ALL tag and prepares it again). Inside a transaction block it fails with
     * 25001 and changes nothing (COMPAT G7).
     */
    @Test
    void discardAllEndsLocksListensAndStatementsAsOnADirectConnection() throws Exception {
        Properties props = new Properties();
        props.setProperty("prepareThreshold", "1");  // the PreparedStatement is a named statement on the server
        try (BackgroundClients others = new BackgroundClients(2, PinningIT::connect, defaults());
             Connection direct = connectDirect(props); Connection proxied = connect(props)) {
            List<String> expected = discardAllSequence(direct, 444001, "pin_discard_direct");
            List<String> seen = discardAllSequence(proxied, 444002, "pin_discard_proxied");
            assertThat(expected).as("direct").containsExactly(
                    "before: lock held 1, notified true, plus one 2",
                    "after DISCARD ALL: locks 0, listening 0, notified false, plus one 42, plus one 43",
                    "DISCARD ALL in a transaction block: 25001, lock held 1",
                    "after ROLLBACK: listening 1, notified true, plus one 8");
            assertThat(seen).as("through pgroute").isEqualTo(expected);
        }
    }

    /** Without a pin, DISCARD ALL in a transaction (explicit BEGIN or pgjdbc's own) fails as it does directly. */
    @Test
    void discardAllInATransactionBlockFailsWith25001AndTheClientGoesOn() throws Exception {
        try (Connection direct = connectDirect(new Properties()); Connection proxied = connect()) {
            for (Connection each : new Connection[] {direct, proxied}) {
                String label = each == direct ? "direct" : "through pgroute";
                try (Statement s = each.createStatement()) {
                    s.execute("BEGIN");
                    assertThat(sqlState(s, "DISCARD ALL")).as("%s, after BEGIN", label).isEqualTo("25001");
                    s.execute("ROLLBACK");
                    assertThat(scalarInt(s, "SELECT 1")).isOne();
                    each.setAutoCommit(false);
                    assertThat(scalarInt(s, "SELECT 2")).isEqualTo(2);
                    assertThat(sqlState(s, "DISCARD ALL")).as("%s, with autocommit off", label).isEqualTo("25001");
                    each.rollback();
                    each.setAutoCommit(true);
                    assertThat(scalarInt(s, "SELECT 3")).isEqualTo(3);
                    assertThat(sqlState(s, "DISCARD ALL")).as("%s, outside a transaction", label).isEqualTo("00000");
                    assertThat(scalarInt(s, "SELECT 4")).isEqualTo(4);
                }
            }
        }
    }

    /**
     * SQL PREPARE pins the session, so every EXECUTE finds its statement on the primary connection while another
     * client shares the rest of the pool; after DEALLOCATE an EXECUTE fails with 26000 as in PostgreSQL (COMPAT V10).
     */
    @Test
    void runsSqlPreparedStatementsOnThePinnedConnection() throws Exception {
        int primaryPort = fixture.cluster().primary().port();
        try (BackgroundClients others = new BackgroundClients(2, PinningIT::connect, defaults())) {
            for (Properties mode : PROTOCOLS) {
                String label = label(mode);
                try (Connection c = connect(mode); Statement s = c.createStatement();
                     Connection direct = connectDirect(mode); Statement ds = direct.createStatement()) {
                    s.execute("PREPARE p(int) AS SELECT $1 + 1, inet_server_port()");
                    int pid = pid(s);
                    Set<Integer> ports = new HashSet<>();
                    for (int i = 0; i < 100; i++) {
                        try (ResultSet rs = s.executeQuery("EXECUTE p(" + i + ")")) {
                            assertThat(rs.next()).isTrue();
                            assertThat(rs.getInt(1)).as("%s, EXECUTE p(%d)", label, i).isEqualTo(i + 1);
                            ports.add(rs.getInt(2));
                        }
                    }
                    assertThat(ports).as("%s: the ports that answered", label).containsExactly(primaryPort);
                    assertThat(pid(s)).as("%s: pinned backend", label).isEqualTo(pid);

                    ds.execute("PREPARE p(int) AS SELECT $1 + 1, inet_server_port()");
                    for (Statement each : new Statement[] {ds, s}) {
                        each.execute("DEALLOCATE p");
                        assertThat(sqlState(each, "EXECUTE p(1)")).as("%s, %s: EXECUTE after DEALLOCATE", label,
                                each == ds ? "direct" : "through pgroute").isEqualTo("26000");
                        assertThat(scalarInt(each, "SELECT 1")).isOne();
                    }
                }
            }
        }
    }

    /**
     * Locks, LISTENs and a server-prepared statement, DISCARD ALL, then the same in a transaction block: what the
     * client notices at each step, to compare a direct connection with pgroute.
     */
    private List<String> discardAllSequence(Connection c, int key, String channel) throws Exception {
        List<String> result = new ArrayList<>();
        PGConnection pg = c.unwrap(PGConnection.class);
        try (Statement s = c.createStatement(); PreparedStatement plusOne = c.prepareStatement("SELECT ?::int + 1");
             Connection superuser = superuser(); Statement ss = superuser.createStatement()) {
            s.execute("SELECT pg_advisory_lock(" + key + ")");
            s.execute("LISTEN " + channel);
            int before = plusOne(plusOne, 1);
            ss.execute("NOTIFY " + channel + ", 'before'");
            result.add("before: lock held " + locks(ss, key) + ", notified " + notified(pg, s, 5_000)
                    + ", plus one " + before);

            s.execute("DISCARD ALL");
            int locks = locks(ss, key);
            int discarded = scalarInt(s, "SELECT count(*) FROM pg_listening_channels()");
            ss.execute("NOTIFY " + channel + ", 'after'");
            result.add("after DISCARD ALL: locks " + locks + ", listening " + discarded + ", notified "
                    + notified(pg, s, 500) + ", plus one " + plusOneOrSqlState(plusOne, 41) + ", plus one "
                    + plusOneOrSqlState(plusOne, 42));

            s.execute("SELECT pg_advisory_lock(" + key + ")");
            s.execute("LISTEN " + channel);
            s.execute("BEGIN");
            String failed = sqlState(s, "DISCARD ALL");
            result.add("DISCARD ALL in a transaction block: " + failed + ", lock held " + locks(ss, key));
            s.execute("ROLLBACK");
            int listening = scalarInt(s, "SELECT count(*) FROM pg_listening_channels()");
            ss.execute("NOTIFY " + channel + ", 'kept'");
            result.add("after ROLLBACK: listening " + listening + ", notified " + notified(pg, s, 5_000)
                    + ", plus one " + plusOneOrSqlState(plusOne, 7));
            s.execute("DISCARD ALL");
            assertThat(locks(ss, key)).as("released at the end").isZero();
        }
        return result;
    }

    private static int locks(Statement superuser, int key) throws SQLException {
        return scalarInt(superuser, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = " + key
                + " AND granted");
    }

    /** Whether a notification reached the client within {@code millis} (or with the answer to a statement). */
    private static boolean notified(PGConnection pg, Statement s, int millis) throws SQLException {
        if (pg.getNotifications(millis).length > 0) {
            return true;
        }
        scalarInt(s, "SELECT 1");
        return pg.getNotifications().length > 0;
    }

    private static int plusOne(PreparedStatement plusOne, int value) throws SQLException {
        plusOne.setInt(1, value);
        try (ResultSet rs = plusOne.executeQuery()) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }

    private static String plusOneOrSqlState(PreparedStatement plusOne, int value) {
        try {
            return String.valueOf(plusOne(plusOne, value));
        } catch (SQLException e) {
            return e.getSQLState();
        }
    }

    /** The SQLSTATE {@code sql} fails with, or 00000 when it succeeds. */
    private static String sqlState(Statement s, String sql) {
        try {
            s.execute(sql);
            return "00000";
        } catch (SQLException e) {
            return e.getSQLState();
        }
    }

    private static Settings defaults() throws SQLException {
        try (Connection c = DriverManager.getConnection(fixture.cluster().primary().jdbcUrl(ProxyFixture.DATABASE),
                "app", "app"); Statement s = c.createStatement()) {
            return BackgroundClients.read(s);
        }
    }

    /** pgjdbc's two ways of sending a statement: the extended protocol (its default) and simple Query messages. */
    private static final List<Properties> PROTOCOLS = List.of(new Properties(), simpleProtocol());

    private static Properties simpleProtocol() {
        Properties result = new Properties();
        result.setProperty("preferQueryMode", "simple");
        return result;
    }

    /** "simple" or "extended". */
    private static String label(Properties mode) {
        return mode.getProperty("preferQueryMode", "extended");
    }

    private static Connection connect() throws SQLException {
        return connect(new Properties());
    }

    private static Connection connect(Properties extra) throws SQLException {
        Properties props = new Properties();
        props.putAll(extra);
        props.setProperty("user", "app");
        props.setProperty("password", "app");
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.port() + "/"
                + ProxyFixture.DATABASE, props);
    }

    private static Connection connectDirect(Properties extra) throws SQLException {
        Properties props = new Properties();
        props.putAll(extra);
        props.setProperty("user", "app");
        props.setProperty("password", "app");
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "30");
        return DriverManager.getConnection(fixture.cluster().primary().jdbcUrl(ProxyFixture.DATABASE), props);
    }

    private static Connection superuser() throws SQLException {
        return DriverManager.getConnection(fixture.cluster().primary().jdbcUrl(ProxyFixture.DATABASE),
                fixture.cluster().superuser(), fixture.cluster().superuserPassword());
    }

    private static int pid(Statement s) throws SQLException {
        return scalarInt(s, "SELECT pg_backend_pid()");
    }

    private static int scalarInt(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getInt(1);
        }
    }

    private static String scalarString(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
