package io.pgroute.proxy.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.pgroute.config.LoggingConfig;
import org.slf4j.LoggerFactory;

/** Applies proxy.yaml's log levels to Logback (the only class that knows the logging backend). */
final class LogLevels {

    private LogLevels() {
    }

    static void apply(LoggingConfig logging) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(logging.level(), Level.INFO));
        logging.levels().forEach((name, level) -> context.getLogger(name).setLevel(Level.toLevel(level, Level.INFO)));
    }
}
