package io.pgroute.proxy.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgroute.config.LogFormat;
import io.pgroute.config.LoggingConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Drives a private {@link LoggerContext} that starts like the process's (from the jar's logback.xml, same MDC). */
class LogSetupTest {

    private static final String TEXT_PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n";

    private final LoggerContext context = new LoggerContext();

    private LoggerContext startedLikeTheJar() {
        context.setMDCAdapter(MDC.getMDCAdapter());
        LogSetup.configure(context, "logback.xml");
        return context;
    }

    @AfterEach
    void stop() {
        MDC.clear();
        context.stop();
    }

    private Encoder<ILoggingEvent> stderrEncoder() {
        ConsoleAppender<ILoggingEvent> appender =
                (ConsoleAppender<ILoggingEvent>) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
        assertThat(appender).isNotNull();
        assertThat(appender.getTarget()).isEqualTo("System.err");
        assertThat(appender.isStarted()).isTrue();
        return appender.getEncoder();
    }

    @Test
    void textIsTheDefault() {
        LogSetup.apply(startedLikeTheJar(), LoggingConfig.defaults(), false);

        assertThat(LoggingConfig.defaults().format()).isEqualTo(LogFormat.TEXT);
        assertThat(stderrEncoder()).isInstanceOfSatisfying(PatternLayoutEncoder.class,
                encoder -> assertThat(encoder.getPattern()).isEqualTo(TEXT_PATTERN));
    }

    @Test
    void jsonFormatWritesJsonLinesToStderr() throws Exception {
        LogSetup.apply(startedLikeTheJar(), new LoggingConfig(LogFormat.JSON, "INFO", Map.of()), false);
        assertThat(stderrEncoder()).isInstanceOf(JsonLinesEncoder.class);

        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (SessionMdc.Scope ignored = SessionMdc.with(3, "app", "shop", "shop/primary")) {
            context.getLogger("io.pgroute.proxy.session.ClientSession").warn("lost the backend",
                    new IllegalStateException("gone"));
        } finally {
            System.setErr(stderr);
        }

        List<JsonNode> lines = new ArrayList<>();
        for (String each : captured.toString(StandardCharsets.UTF_8).split("\n")) {
            lines.add(new ObjectMapper().readTree(each));
        }
        assertThat(lines).hasSize(1);
        JsonNode line = lines.get(0);
        assertThat(line.get("level").asText()).isEqualTo("WARN");
        assertThat(line.get("message").asText()).isEqualTo("lost the backend");
        assertThat(line.get("session").asText()).isEqualTo("3");
        assertThat(line.get("node").asText()).isEqualTo("shop/primary");
        assertThat(line.get("exception").asText()).startsWith("java.lang.IllegalStateException: gone");
    }

    @Test
    void rootAndPerLoggerLevelsTakeEffect() {
        LoggingConfig logging = new LoggingConfig(LogFormat.TEXT, "WARN",
                Map.of("io.pgroute.proxy.cache", "DEBUG", "io.netty", "ERROR"));

        LogSetup.apply(startedLikeTheJar(), logging, false);

        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.pgroute.proxy.cache.ResultCache").isDebugEnabled()).isTrue();
        assertThat(context.getLogger("io.pgroute.proxy.cache.ResultCache").isTraceEnabled()).isFalse();
        assertThat(context.getLogger("io.pgroute.proxy.routing.ReadWriteRouter").isInfoEnabled()).isFalse();
        assertThat(context.getLogger("io.pgroute.proxy.routing.ReadWriteRouter").isWarnEnabled()).isTrue();
        assertThat(context.getLogger("io.netty.channel.DefaultChannelPipeline").isWarnEnabled()).isFalse();
    }

    @Test
    void levelsSurviveTheSwitchToJson() {
        LoggingConfig logging = new LoggingConfig(LogFormat.JSON, "ERROR", Map.of("io.pgroute.proxy.session", "TRACE"));

        LogSetup.apply(startedLikeTheJar(), logging, false);

        assertThat(stderrEncoder()).isInstanceOf(JsonLinesEncoder.class);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.ERROR);
        assertThat(context.getLogger("io.pgroute.proxy.session.ClientSession").isTraceEnabled()).isTrue();
        assertThat(context.getLogger("io.netty").getLevel()).isEqualTo(Level.INFO);
    }

    @Test
    void anOperatorsLogbackFileKeepsItsAppenders() {
        LogSetup.apply(startedLikeTheJar(), new LoggingConfig(LogFormat.JSON, "DEBUG", Map.of()), true);

        assertThat(stderrEncoder()).isInstanceOf(PatternLayoutEncoder.class);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.DEBUG);
    }
}
