package io.pgroute.proxy.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusUtil;
import io.pgroute.config.LogFormat;
import io.pgroute.config.LoggingConfig;
import org.slf4j.LoggerFactory;

import java.net.URL;

/**
 * Applies proxy.yaml's {@code logging:} section to Logback at startup, before the server starts: the format, then the
 * root level ({@code level}) and the level of each listed logger ({@code levels}). The only class that knows the
 * logging backend.
 *
 * <p>Logback starts from the jar's {@code logback.xml} (text on stderr). For {@code format: json} the context is
 * reconfigured from the jar's {@code logback-json.xml} ({@link JsonLinesEncoder} on stderr). An operator who points
 * {@code -Dlogback.configurationFile} at a file of their own keeps its appenders whatever the format; the levels
 * still apply.
 */
public final class LogSetup {

    /** The same resource with JSON lines instead of text; also usable as {@code -Dlogback.configurationFile}. */
    static final String JSON_RESOURCE = "logback-json.xml";
    private static final String OPERATOR_FILE = "logback.configurationFile";

    private LogSetup() {
    }

    /** Applies {@code logging} to the process's Logback context; does nothing if SLF4J is bound to another backend. */
    public static void apply(LoggingConfig logging) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            apply(context, logging, System.getProperty(OPERATOR_FILE) != null);
        }
    }

    /**
     * Applies {@code logging} to {@code context}.
     *
     * @param keepAppenders true when the operator chose the configuration file: only levels change
     */
    static void apply(LoggerContext context, LoggingConfig logging, boolean keepAppenders) {
        if (logging.format() == LogFormat.JSON && !keepAppenders) {
            configure(context, JSON_RESOURCE);
        }
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(logging.level(), Level.INFO));
        logging.levels().forEach((name, level) -> context.getLogger(name).setLevel(Level.toLevel(level, Level.INFO)));
    }

    /** Replaces the context's whole configuration (appenders and levels) with a resource from the jar. */
    static void configure(LoggerContext context, String resource) {
        URL url = LogSetup.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException(resource + " is missing from the class path");
        }
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        context.reset();
        try {
            configurator.doConfigure(url);
        } catch (JoranException e) {
            throw new IllegalStateException("cannot configure logging from " + url, e);
        }
        StatusUtil status = new StatusUtil(context);
        if (status.getHighestLevel(0) >= Status.ERROR) {
            throw new IllegalStateException("cannot configure logging from " + url + ": "
                    + context.getStatusManager().getCopyOfStatusList());
        }
    }
}
