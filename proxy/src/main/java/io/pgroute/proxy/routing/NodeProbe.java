package io.pgroute.proxy.routing;

import io.pgroute.config.BackendTlsMode;
import io.pgroute.config.NodeConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples one server over a JDBC connection it keeps open, whatever its role in the configuration: whether it is in
 * recovery, its WAL position ({@code pg_last_wal_replay_lsn()} in recovery, else {@code pg_current_wal_lsn()}), the
 * most it could show (see {@link Reading#shownLsn}) and,
 * when it is not in recovery, its timeline (from the name of its current WAL file), so that the monitor can tell
 * which node is the primary after a failover. A failed query closes the connection; the
 * next sample, at once, connects again, and only if that fails too is the node DOWN: one slow answer from a busy
 * server (or a connection its administrator killed) does not take it out of routing and {@code /health}. While
 * DOWN, only one connection attempt is made per health interval. Connect and socket timeouts of one second keep a
 * dead server from holding the probe's thread for long; the connection that confirms a failure gets
 * {@link #CONFIRM_TIMEOUT_SECONDS} for each step of its login instead, because a server that is only overloaded
 * (every core busy) can take more than a second to start a session and authenticate it, and must not be taken for a
 * dead one, the primary included ({@code /health} 503). A stopped server refuses the connection at once whatever the
 * timeout; one that hangs is down after about six seconds instead of two.
 *
 * <p>Used by one thread at a time (the monitor's scheduler never runs a probe's task concurrently); the result is
 * published through a volatile {@link Reading}.
 */
final class NodeProbe implements AutoCloseable {

    /**
     * The last outcome: health, position, whether the server is in recovery and, when it is not, its timeline (0 when
     * unknown or in recovery). {@code lsn} is what the node surely has: a replica replayed at least that far, a primary
     * wrote its WAL that far (what replicas can receive). {@code shownLsn} bounds what the node could have shown anyone
     * by the time the sample ran: a standby makes a commit visible while replaying its record, before its replay
     * position moves past it, so the bound is the WAL it has received (which the record in replay cannot pass), or
     * {@link Lsn#INVALID} when it streams nothing (replay from an archive has no such bound); a primary makes an
     * asynchronous commit ({@code synchronous_commit = off}) visible before its record is written, so its bound is
     * the WAL it has inserted. {@code version} is the server's {@code server_version} as its last connection
     * reported it (null before the first).
     */
    record Reading(Health health, long lsn, boolean inRecovery, long timeline, String lastError, Instant since,
            long sentNanos, long shownLsn, String version) {

        Reading(Health health, long lsn, boolean inRecovery, long timeline, String lastError, Instant since,
                long sentNanos) {
            this(health, lsn, inRecovery, timeline, lastError, since, sentNanos, inRecovery ? Lsn.INVALID : lsn,
                    null);
        }

        /** Whether the server answered and takes writes. */
        boolean writable() {
            return health == Health.UP && !inRecovery;
        }
    }

    private static final Logger LOGGER = LoggerFactory.getLogger(NodeProbe.class);
    private static final String TIMEOUT_SECONDS = "1";
    private static final int TIMEOUT_MILLIS = 1_000;
    /** Connect and socket timeouts of the connection that confirms a failed sample (see the class). */
    static final String CONFIRM_TIMEOUT_SECONDS = "5";
    /**
     * One query for every node: a server's role is what it says, not what the configuration expected. The timeline is
     * the first eight hex digits of the current WAL file's name, which any role may read (pg_control_checkpoint()'s
     * is only as new as the last checkpoint).
     */
    static final String QUERY = "SELECT r, CASE WHEN r THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,"
            + " CASE WHEN r THEN NULL ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END,"
            + " CASE WHEN r THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_insert_lsn() END"
            + " FROM (SELECT pg_is_in_recovery() AS r) AS recovery";
    /**
     * Read once per connection: the server's WAL page and segment sizes in bytes (see {@link #recordEnd}) and
     * {@code wal_writer_delay} in milliseconds (see {@link #flushWithinNanos}).
     */
    static final String SERVER_SETTINGS = "SELECT current_setting('wal_block_size')::bigint,"
            + " (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'),"
            + " (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_writer_delay')";
    /** wal_writer_delay's largest value (10 s), assumed until the server said: see {@link #flushWithinNanos}. */
    private static final long LONGEST_WAL_WRITER_DELAY_MILLIS = 10_000;
    /** Bytes of the header at the start of a WAL page, and of the longer one at the start of a segment. */
    private static final long PAGE_HEADER = 24;
    private static final long SEGMENT_HEADER = 40;
    /**
     * Run first on each probe connection, whatever the role's or the database's defaults: with {@code ALTER ROLE …
     * SET default_transaction_isolation = 'serializable'} every standby refuses the probe's query (0A000), and the
     * probe measures the node, not them. A SET takes no snapshot, so a standby runs it. Not the {@code options}
     * startup parameter: a pooler between pgroute and the server (PgBouncer) may refuse the connection for it.
     */
    static final String PROBE_SETTINGS = "SET default_transaction_isolation TO 'read committed'";

    private final String database;
    private final String name;
    private final NodeConfig node;
    private final boolean primary;
    private final String url;
    private final Properties properties;
    private final Properties confirmingProperties;
    private final long healthIntervalNanos;
    private Connection connection;
    private PreparedStatement statement;
    /** The server's WAL page and segment sizes (see {@link #recordEnd}); 0 until connected. */
    private long pageBytes;
    private long segmentBytes;
    private volatile long walWriterDelayMillis = LONGEST_WAL_WRITER_DELAY_MILLIS;
    /** The server's {@code server_version} as the last connection reported it; null until connected once. */
    private String version;
    private long nextAttemptNanos;
    private volatile boolean probedOnce;
    /** The last sample of a node that was UP failed: the next one, on a new connection, decides whether it is down. */
    private boolean suspect;
    private volatile Reading reading;

    NodeProbe(String database, String name, NodeConfig node, boolean primary, String dbname, String user,
            String password, BackendTlsMode tls, String tlsCa, Duration healthInterval) {
        this.database = database;
        this.name = name;
        this.node = node;
        this.primary = primary;
        this.url = JdbcEndpoint.url(node, dbname);
        this.properties = JdbcEndpoint.connecting(node, properties(user, password, tls, tlsCa, TIMEOUT_SECONDS));
        this.confirmingProperties = JdbcEndpoint.connecting(node, properties(user, password, tls, tlsCa,
                CONFIRM_TIMEOUT_SECONDS));
        this.healthIntervalNanos = healthInterval.toNanos();
        this.reading = new Reading(Health.DOWN, Lsn.INVALID, !primary, 0, "not probed yet", Instant.now(), 0);
    }

    String name() {
        return name;
    }

    NodeConfig node() {
        return node;
    }

    Reading reading() {
        return reading;
    }

    /** Whether a sample was attempted at least once: until then {@link #reading()} says nothing about the node. */
    boolean probed() {
        return probedOnce;
    }

    /**
     * Takes one sample, or does nothing while DOWN and the next attempt is not due.
     *
     * @return whether a sample was attempted (and {@link #reading()} may have changed)
     */
    boolean sample() {
        long started = System.nanoTime();
        if (connection == null && reading.health() == Health.DOWN && probedOnce && started - nextAttemptNanos < 0) {
            return false;
        }
        try {
            if (connection == null) {
                connect();
            }
            long sent = System.nanoTime();
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                boolean inRecovery = rows.getBoolean(1);
                long lsn = lsn(rows.getString(2));
                String timeline = rows.getString(3);
                long other = lsn(rows.getString(4));  // in recovery: received; else: inserted
                long shown;
                if (!inRecovery) {
                    shown = Math.max(lsn, recordEnd(other, pageBytes, segmentBytes));
                } else {
                    shown = other == Lsn.INVALID || lsn == Lsn.INVALID ? Lsn.INVALID : Math.max(lsn, other);
                }
                onSuccess(lsn, inRecovery, timeline == null ? 0 : Long.parseLong(timeline, 16), sent, shown);
            }
        } catch (SQLException | IllegalArgumentException e) {
            onFailure(e.getMessage(), started);
        }
        return true;
    }

    /**
     * How long after its commit an asynchronous commit's WAL record is surely written: three times the server's
     * {@code wal_writer_delay}, as PostgreSQL documents (the WAL writer favours whole pages when busy).
     */
    long flushWithinNanos() {
        return java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(3 * walWriterDelayMillis);
    }

    private static long lsn(String text) {
        return text == null ? Lsn.INVALID : Lsn.parse(text);
    }

    /**
     * The end of the last record inserted, given the insert position {@code lsn}: right after a record that ends a
     * page, the insert position is past the next page's header, which no replica's replay position ever shows (it
     * stops at the record's end), so a read waiting for it would wait for the next record.
     */
    static long recordEnd(long lsn, long pageBytes, long segmentBytes) {
        if (lsn == Lsn.INVALID || pageBytes <= 0 || segmentBytes <= 0) {
            return lsn;
        }
        if (Long.remainderUnsigned(lsn, segmentBytes) == SEGMENT_HEADER) {
            return lsn - SEGMENT_HEADER;
        }
        return Long.remainderUnsigned(lsn, pageBytes) == PAGE_HEADER ? lsn - PAGE_HEADER : lsn;
    }

    @Override
    public void close() {
        closeConnection();
    }

    private void connect() throws SQLException {
        connection = DriverManager.getConnection(url, suspect ? confirmingProperties : properties);
        try {
            connection.setAutoCommit(true);
            try (java.sql.Statement settings = connection.createStatement()) {
                settings.execute(PROBE_SETTINGS);
            }
            if (suspect) {
                connection.setNetworkTimeout(Runnable::run, TIMEOUT_MILLIS);  // the samples' own timeout again
            }
            try (java.sql.Statement settings = connection.createStatement();
                 ResultSet rows = settings.executeQuery(SERVER_SETTINGS)) {
                rows.next();
                pageBytes = rows.getLong(1);
                segmentBytes = rows.getLong(2);
                walWriterDelayMillis = rows.getLong(3);
            }
            statement = connection.prepareStatement(QUERY);
            version = connection.getMetaData().getDatabaseProductVersion();  // its server_version report
        } catch (SQLException e) {
            closeConnection();
            throw e;
        }
    }

    private void onSuccess(long lsn, boolean inRecovery, long timeline, long sent, long shown) {
        suspect = false;
        Reading previous = reading;
        boolean changed = previous.health() != Health.UP || !probedOnce;
        reading = new Reading(Health.UP, lsn, inRecovery, timeline, null, changed ? Instant.now() : previous.since(),
                sent, shown, version);
        if (changed) {
            LOGGER.info("database={} node={} address={} is up", database, name, node.address());
        }
        probedOnce = true;
    }

    private void onFailure(String message, long started) {
        closeConnection();
        Reading previous = reading;
        if (previous.health() == Health.UP && probedOnce && !suspect) {
            suspect = true;
            LOGGER.info("database={} node={} address={} did not answer its probe, trying a new connection: {}",
                    database, name, node.address(), message);
            return;
        }
        suspect = false;
        nextAttemptNanos = started + healthIntervalNanos;
        boolean changed = previous.health() != Health.DOWN || !probedOnce;
        String error = message == null ? "unknown error" : message;
        reading = new Reading(Health.DOWN, previous.lsn(), previous.inRecovery(), previous.timeline(), error,
                changed ? Instant.now() : previous.since(), previous.sentNanos(), previous.shownLsn(),
                previous.version());
        if (changed) {
            LOGGER.warn("database={} node={} address={} is down, probing every {} ms: {}", database, name,
                    node.address(), healthIntervalNanos / 1_000_000, error);
        }
        probedOnce = true;
    }

    private void closeConnection() {
        Connection closing = connection;
        connection = null;
        statement = null;
        if (closing == null) {
            return;
        }
        try {
            closing.close();
        } catch (SQLException e) {
            LOGGER.debug("database={} node={} closing the monitor connection failed: {}", database, name,
                    e.getMessage());
        }
    }

    private static Properties properties(String user, String password, BackendTlsMode tls, String tlsCa,
            String timeoutSeconds) {
        Properties result = JdbcEndpoint.login(user, password, tls, tlsCa, "pgroute-monitor", timeoutSeconds,
                timeoutSeconds);
        result.setProperty("tcpKeepAlive", "true");
        return result;
    }
}
