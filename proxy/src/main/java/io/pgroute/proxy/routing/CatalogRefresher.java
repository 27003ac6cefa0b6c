package io.pgroute.proxy.routing;

import io.pgroute.config.DatabaseConfig;
import io.pgroute.proxy.cache.RelationCatalog;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.PgProcCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
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
 * <p>Each refresh also asks its session, a new one of the database's role, for {@code default_transaction_isolation}
 * and {@code synchronous_commit}: what {@code ALTER ROLE … SET}, {@code ALTER DATABASE … SET} and the server's
 * configuration make them for every session pgroute opens (see {@link #onDefaultIsolation},
 * {@link #onSynchronousCommit}).
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
    private volatile Consumer<String> isolationListener;
    private volatile Consumer<String> synchronousCommitListener;
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
     * Passes the {@code default_transaction_isolation} each refresh finds (lower case, as {@code SHOW} gives it) to
     * {@code listener}, on the refresher's thread. Set it before {@link #start}.
     */
    public CatalogRefresher onDefaultIsolation(Consumer<String> listener) {
        this.isolationListener = listener;
        return this;
    }

    /**
     * Passes the {@code synchronous_commit} each refresh finds to {@code listener}, on the refresher's thread. Set it
     * before {@link #start}.
     */
    public CatalogRefresher onSynchronousCommit(Consumer<String> listener) {
        this.synchronousCommitListener = listener;
        return this;
    }

    public boolean loadedOnce() {
        return loadedOnce;
    }

    private void refresh() {
        // the database's TLS mode, as the monitor's and the data path's connections (pgjdbc's own default before)
        Properties props = JdbcEndpoint.login(database.user(), database.password(), database.tls(),
                "pgroute catalog", "5", "30");
        io.pgroute.config.NodeConfig node = primary.get();
        String url = JdbcEndpoint.url(node, database.dbname());
        try (Connection connection = DriverManager.getConnection(url, JdbcEndpoint.connecting(node, props))) {
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

    private void refreshDefaults(Connection connection) {
        Consumer<String> isolation = isolationListener;
        Consumer<String> synchronousCommit = synchronousCommitListener;
        if (isolation == null && synchronousCommit == null) {
            return;
        }
        try (java.sql.Statement statement = connection.createStatement();
             java.sql.ResultSet rows = statement.executeQuery("SELECT current_setting('default_transaction_isolation'),"
                     + " current_setting('synchronous_commit')")) {
            if (rows.next()) {
                if (isolation != null) {
                    isolation.accept(rows.getString(1));
                }
                if (synchronousCommit != null) {
                    synchronousCommit.accept(rows.getString(2));
                }
            }
        } catch (SQLException | RuntimeException e) {
            LOGGER.warn("cannot read the session defaults of database={} ({}); keeping the previous ones",
                    database.name(), e.getMessage());
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
