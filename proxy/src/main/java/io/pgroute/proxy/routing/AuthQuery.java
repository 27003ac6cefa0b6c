package io.pgroute.proxy.routing;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.NodeConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks up the stored secret of a user proxy.yaml does not list, with the database's {@code auth_query} run on the
 * primary as the control plane's role (PgBouncer's {@code auth_query}): what {@code pg_authid.rolpassword} holds for
 * it, normally through a {@code SECURITY DEFINER} function, since only superusers read {@code pg_authid}. The last
 * column of the first row is the secret; no row (or a null) means no such user.
 *
 * <p>One connection, kept open and opened again after an error or when another node became the primary, on a thread
 * of its own: lookups of one database run one at a time (each a round trip on a warm connection). A user's secret is
 * remembered for {@link #REMEMBERED}, and concurrent logins of one user share one lookup; a failed lookup is not
 * remembered. Never blocks the caller.
 */
public final class AuthQuery implements AutoCloseable {

    /** How long a looked-up secret serves further logins: a password changed on the server counts after this. */
    public static final Duration REMEMBERED = Duration.ofSeconds(5);
    private static final Logger LOGGER = LoggerFactory.getLogger(AuthQuery.class);

    private final DatabaseConfig database;
    private final Supplier<NodeConfig> primary;
    private final ExecutorService executor;
    private final AsyncCache<String, Optional<String>> secrets;
    /** Only the executor's thread uses these two. */
    private Connection connection;
    private NodeConfig connectedTo;

    /** Looks users up with {@code database}'s {@code auth_query} on the node {@code primary} names at each lookup. */
    public AuthQuery(DatabaseConfig database, Supplier<NodeConfig> primary) {
        this.database = database;
        this.primary = primary;
        Objects.requireNonNull(database.authQuery(), "auth_query");
        this.executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pgroute-auth-query-" + database.name());
            thread.setDaemon(true);
            return thread;
        });
        this.secrets = Caffeine.newBuilder().expireAfterWrite(REMEMBERED).maximumSize(10_000).buildAsync();
    }

    /** The secret stored for {@code user}, empty when there is no such user; fails when the query failed. */
    public CompletableFuture<Optional<String>> secret(String user) {
        return secrets.get(user, (name, ignored) -> {
            try {
                return CompletableFuture.supplyAsync(() -> lookUp(name), executor);
            } catch (RejectedExecutionException e) {
                return CompletableFuture.failedFuture(new SQLException("auth_query lookups are closed"));
            }
        });
    }

    private Optional<String> lookUp(String user) {
        try {
            return run(user);
        } catch (SQLException first) {
            // a connection the server or the network closed since the last lookup: once more on a new one
            disconnect();
            try {
                return run(user);
            } catch (SQLException e) {
                disconnect();
                LOGGER.warn("auth_query of database={} failed for user={}: {}", database.name(), user,
                        e.getMessage());
                throw new CompletionException(e);
            }
        }
    }

    private Optional<String> run(String user) throws SQLException {
        NodeConfig node = primary.get();
        if (connection == null || !node.equals(connectedTo)) {
            disconnect();
            connection = JdbcEndpoint.connect(database, database.controlUser(), database.controlPassword(), node,
                    "pgroute auth_query", "5", "10");
            connectedTo = node;
        }
        try (PreparedStatement statement = connection.prepareStatement(jdbcText(database.authQuery()))) {
            statement.setQueryTimeout(5);
            statement.setString(1, user);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.ofNullable(rows.getString(rows.getMetaData().getColumnCount()));
            }
        }
    }

    /**
     * {@code query}, written with PostgreSQL's {@code $1} as PgBouncer's is, in pgjdbc's terms: it numbers its
     * parameters itself, from {@code ?}, and reads {@code ??} as a {@code ?} operator (jsonb's).
     */
    static String jdbcText(String query) {
        return query.replace("?", "??").replace("$1", "?");
    }

    private void disconnect() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOGGER.debug("closing the auth_query connection of database={}: {}", database.name(), e.getMessage());
            }
            connection = null;
            connectedTo = null;
        }
    }

    @Override
    public void close() {
        try {
            executor.execute(this::disconnect);
        } catch (RejectedExecutionException e) {
            return;  // closed before
        }
        executor.shutdown();
    }
}
