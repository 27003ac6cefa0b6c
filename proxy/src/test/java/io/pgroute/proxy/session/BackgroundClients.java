package io.pgroute.proxy.session;

import org.awaitility.Awaitility;
import org.postgresql.PGConnection;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that keep a small pool busy while a test runs, so the test client's statements really move between
 * backend connections. Each one loops a short autocommit statement and checks that it sees its own (default)
 * session settings, never another client's: {@link #close()} fails the test on any difference or error.
 */
final class BackgroundClients implements AutoCloseable {

    /** The settings a client sees, in one row. */
    static final String SETTINGS_SQL = "SELECT current_setting('search_path'), current_setting('statement_timeout'),"
            + " current_setting('application_name'), current_setting('TimeZone'), pg_backend_pid()";

    /** What {@link #SETTINGS_SQL} returned, without the pid. */
    record Settings(String searchPath, String statementTimeout, String applicationName, String timeZone) {
    }

    /** Opens one background client's connection. */
    interface ConnectionSource {
        Connection open() throws SQLException;
    }

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final Set<Integer> pids = ConcurrentHashMap.newKeySet();
    private final AtomicInteger statements = new AtomicInteger();

    /**
     * Starts {@code count} clients from {@code source}, each expecting {@code expected} on every statement and
     * {@code expected.applicationName()} as its reported ParameterStatus.
     */
    BackgroundClients(int count, ConnectionSource source, Settings expected) {
        for (int i = 0; i < count; i++) {
            Thread thread = new Thread(() -> run(source, expected), "background-client-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        Awaitility.await("background clients running").atMost(Duration.ofSeconds(15))
                .until(() -> !problems.isEmpty() || statements.get() >= 5 * count);
    }

    static Settings read(Statement statement) throws SQLException {
        try (ResultSet rs = statement.executeQuery(SETTINGS_SQL)) {
            rs.next();
            return new Settings(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4));
        }
    }

    private void run(ConnectionSource source, Settings expected) {
        try (Connection connection = source.open(); Statement statement = connection.createStatement()) {
            PGConnection pg = connection.unwrap(PGConnection.class);
            while (running.get()) {
                try (ResultSet rs = statement.executeQuery(SETTINGS_SQL)) {
                    rs.next();
                    Settings seen = new Settings(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4));
                    pids.add(rs.getInt(5));
                    if (!seen.equals(expected)) {
                        problems.add("saw " + seen + " instead of " + expected);
                    }
                }
                String reported = pg.getParameterStatus("application_name");
                if (!expected.applicationName().equals(reported)) {
                    problems.add("ParameterStatus application_name=" + reported);
                }
                if (pg.getNotifications().length > 0) {
                    problems.add("received a notification it never listened for");
                }
                statements.incrementAndGet();
            }
        } catch (SQLException | RuntimeException e) {
            problems.add(e.toString());
        }
    }

    Set<Integer> pids() {
        return Set.copyOf(pids);
    }

    /** Forgets the pids seen so far, to look only at what happens from now on. */
    void forgetPids() {
        pids.clear();
    }

    int statements() {
        return statements.get();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread each : threads) {
            each.join(10_000);
            assertThat(each.isAlive()).as("background client %s stopped", each.getName()).isFalse();
        }
        assertThat(problems).as("what the background clients saw").isEmpty();
        assertThat(statements.get()).as("background statements").isPositive();
    }
}
