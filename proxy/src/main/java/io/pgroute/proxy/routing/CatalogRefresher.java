package io.pgroute.proxy.routing;

import io.pgroute.config.DatabaseConfig;
import io.pgroute.proxy.cache.RelationCatalog;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.PgProcCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Control plane: reads which functions are volatile ({@code pg_proc}) and which relations are unlogged or sequences
 * from a database's primary, at start and every {@code routing.catalog_refresh}, and hands the result to the
 * classifier. Until the first load the classifier uses its built-in knowledge; a failed load keeps the catalog in use.
 *
 * <p>Given a relation listener, each refresh also reads a {@link RelationCatalog} over the same connection, on the
 * same thread, and hands it to the listener (the result cache); a failed read keeps the previous one. The cache calls
 * {@link #refreshNow()} after it sees DDL, so that it need not wait for the next period.
 *
 * <p>Each refresh also reads what {@code default_transaction_isolation} and {@code synchronous_commit} are for a new
 * session of each role: {@code ALTER ROLE … SET}, {@code ALTER DATABASE … SET} and the server's configuration
 * ({@link RoleDefaults}; see {@link #onRoleDefaults}), so that sessions of roles other than the refresher's own are
 * judged right too.
 */
public final class CatalogRefresher implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(CatalogRefresher.class);

    private final DatabaseConfig database;
    private final Classifier classifier;
    private final Consumer<RelationCatalog> relationListener;
    private final ScheduledExecutorService executor;
    private final AtomicBoolean extraRefreshPending = new AtomicBoolean();
    private volatile boolean loadedOnce;
    private boolean relationsLoadedOnce; // only the refresher thread reads or writes it
    private volatile Consumer<RoleDefaults> defaultsListener;
    /** The node the catalog is read from: the one that takes writes (it may change: see {@link #readFrom}). */
    private volatile java.util.function.Supplier<io.pgroute.config.NodeConfig> primary;

    /** A refresher of the function catalog only. */
    public CatalogRefresher(DatabaseConfig database, Classifier classifier) {
        this(database, classifier, null);
    }

    /**
     * A refresher that also reads the relation catalog and passes it to {@code relationListener}, on the refresher's
     * thread, after each successful read; null means no relation catalog is read.
     */
    public CatalogRefresher(DatabaseConfig database, Classifier classifier,
            Consumer<RelationCatalog> relationListener) {
        this.database = database;
        this.classifier = classifier;
        this.relationListener = relationListener;
        this.primary = database::primary;
        this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pgroute-catalog-" + database.name());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Reads the catalog from the node {@code primary} names at each refresh (the configured primary until then). */
    public void readFrom(java.util.function.Supplier<io.pgroute.config.NodeConfig> primary) {
        this.primary = primary;
    }

    /** Loads now (in the background) and then every {@code interval}. */
    public CatalogRefresher start(Duration interval) {
        executor.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Schedules an extra refresh, in the background, as soon as the refresher's thread is free; does nothing if one
     * is already waiting to run (a refresh already running does not count: it may have read the catalog too early).
     */
    public void refreshNow() {
        if (executor.isShutdown() || !extraRefreshPending.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                extraRefreshPending.set(false);
                refresh();
            });
        } catch (RejectedExecutionException e) {
            extraRefreshPending.set(false);
            LOGGER.debug("no extra catalog refresh of database={}: closed", database.name());
        }
    }

    /**
     * Passes the {@link RoleDefaults} each refresh finds to {@code listener}, on the refresher's thread. Set it before
     * {@link #start}.
     */
    public CatalogRefresher onRoleDefaults(Consumer<RoleDefaults> listener) {
        this.defaultsListener = listener;
        return this;
    }

    public boolean loadedOnce() {
        return loadedOnce;
    }

    private void refresh() {
        // the database's TLS mode, as the monitor's and the data path's connections (pgjdbc's own default before)
        try (Connection connection = JdbcEndpoint.connect(database, database.controlUser(), database.controlPassword(),
                primary.get(), "pgroute catalog", "5", "30")) {
            refreshFunctions(connection);
            refreshDefaults(connection);
            if (relationListener != null) {
                refreshRelations(connection);
            }
        } catch (SQLException | RuntimeException e) {
            LOGGER.warn("cannot read the catalogs of database={} ({}); keeping the ones in use", database.name(),
                    e.getMessage());
        }
    }

    private void refreshFunctions(Connection connection) {
        try {
            PgProcCatalog catalog = PgProcCatalog.load(connection);
            classifier.updateCatalog(catalog);
            if (!loadedOnce) {
                LOGGER.info("function catalog of database={} loaded: {} functions", database.name(), catalog.size());
            }
            loadedOnce = true;
        } catch (SQLException | RuntimeException e) {
            LOGGER.warn("cannot read the function catalog of database={} ({}); keeping the {} one", database.name(),
                    e.getMessage(), loadedOnce ? "previous" : "built-in");
        }
    }

    /** Settings rows of this database's and of every database's, by role (null: every role). */
    private static final String ROLE_SETTINGS = "SELECT r.rolname, s.setdatabase <> 0, s.setconfig"
            + " FROM pg_catalog.pg_db_role_setting s LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole"
            + " WHERE s.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))";
    /** The two settings read placement depends on, as this session sees them, with where its value came from. */
    private static final String SERVER_SETTINGS = "SELECT name, setting, source, boot_val FROM pg_catalog.pg_settings"
            + " WHERE name IN ('" + RoleDefaults.ISOLATION + "', '" + RoleDefaults.SYNCHRONOUS_COMMIT + "')";
    /** Their values in the configuration files (postgresql.conf, ALTER SYSTEM's): readable by superusers only. */
    private static final String FILE_SETTINGS = "SELECT lower(name), setting FROM pg_catalog.pg_file_settings"
            + " WHERE applied AND lower(name) IN ('" + RoleDefaults.ISOLATION + "', '" + RoleDefaults.SYNCHRONOUS_COMMIT
            + "') ORDER BY seqno";
    /** Whether the warning about server values that had to be assumed was logged (once per refresher). */
    private boolean warnedHidden;

    private void refreshDefaults(Connection connection) {
        Consumer<RoleDefaults> listener = defaultsListener;
        if (listener == null) {
            return;
        }
        try (java.sql.Statement statement = connection.createStatement()) {
            List<RoleDefaults.Row> rows = new ArrayList<>();
            try (java.sql.ResultSet result = statement.executeQuery(ROLE_SETTINGS)) {
                while (result.next()) {
                    java.sql.Array settings = result.getArray(3);
                    rows.add(new RoleDefaults.Row(result.getString(1), result.getBoolean(2),
                            settings == null ? List.of() : List.of((String[]) settings.getArray())));
                }
            }
            List<RoleDefaults.ServerSetting> settings = new ArrayList<>();
            try (java.sql.ResultSet result = statement.executeQuery(SERVER_SETTINGS)) {
                while (result.next()) {
                    settings.add(new RoleDefaults.ServerSetting(result.getString(1), result.getString(2),
                            result.getString(3), result.getString(4)));
                }
            }
            List<String> hidden = RoleDefaults.hidden(settings);
            Map<String, String> file = hidden.isEmpty() ? null : fileSettings(statement);
            Map<String, String> server = RoleDefaults.serverValues(settings, file);
            if (!hidden.isEmpty() && file == null && !warnedHidden) {
                warnedHidden = true;
                LOGGER.warn("database={}: the control role's or the database's own settings hide the server's {}, and"
                        + " pg_file_settings is not readable by that role; assuming {} for roles without their own"
                        + " (grant it SELECT on pg_file_settings and EXECUTE on pg_show_all_file_settings(), or drop"
                        + " those settings, for the server's values)", database.name(), hidden, server);
            }
            RoleDefaults defaults = RoleDefaults.of(rows, server);
            LOGGER.debug("session defaults of database={}: {}", database.name(), defaults);
            listener.accept(defaults);
        } catch (SQLException | RuntimeException e) {
            LOGGER.warn("cannot read the session defaults of database={} ({}); keeping the previous ones",
                    database.name(), e.getMessage());
        }
    }

    /** The applied values of the configuration files, or null when this role may not read them. */
    private static Map<String, String> fileSettings(java.sql.Statement statement) {
        Map<String, String> result = new HashMap<>();
        try (java.sql.ResultSet rows = statement.executeQuery(FILE_SETTINGS)) {
            while (rows.next()) {
                result.put(rows.getString(1), rows.getString(2));
            }
            return result;
        } catch (SQLException notPermitted) {
            return null;
        }
    }

    private void refreshRelations(Connection connection) {
        try {
            RelationCatalog catalog = RelationCatalog.load(connection);
            relationListener.accept(catalog);
            if (!relationsLoadedOnce) {
                LOGGER.info("relation catalog of database={} loaded: {} names", database.name(), catalog.size());
            }
            relationsLoadedOnce = true;
        } catch (SQLException | RuntimeException e) {
            LOGGER.warn("cannot read the relation catalog of database={} ({}); keeping the {} one", database.name(),
                    e.getMessage(), relationsLoadedOnce ? "previous" : "empty");
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
