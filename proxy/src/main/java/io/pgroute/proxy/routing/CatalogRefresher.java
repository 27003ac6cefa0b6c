package io.pgroute.proxy.routing;

import io.pgroute.config.DatabaseConfig;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Control plane: reads which functions are volatile ({@code pg_proc}) and which relations are unlogged or sequences
 * from a database's primary, at start and every {@code routing.catalog_refresh}, and hands the result to the
 * classifier. Until the first load, and whenever a load fails, the classifier uses its built-in knowledge.
 */
public final class CatalogRefresher implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(CatalogRefresher.class);

    private final DatabaseConfig database;
    private final Classifier classifier;
    private final ScheduledExecutorService executor;
    private volatile boolean loadedOnce;

    public CatalogRefresher(DatabaseConfig database, Classifier classifier) {
        this.database = database;
        this.classifier = classifier;
        this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pgroute-catalog-" + database.name());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Loads now (in the background) and then every {@code interval}. */
    public CatalogRefresher start(Duration interval) {
        executor.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    public boolean loadedOnce() {
        return loadedOnce;
    }

    private void refresh() {
        Properties props = new Properties();
        props.setProperty("user", database.user());
        props.setProperty("password", database.password());
        props.setProperty("connectTimeout", "5");
        props.setProperty("socketTimeout", "30");
        props.setProperty("ApplicationName", "pgroute catalog");
        String url = "jdbc:postgresql://" + database.primary().host() + ":" + database.primary().port() + "/"
                + database.dbname();
        try (Connection connection = DriverManager.getConnection(url, props)) {
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

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
