package io.pgroute.proxy.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JsonLinesEncoderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoggerContext context = new LoggerContext();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private Logger logger;

    @BeforeEach
    void startAppender() {
        context.setMDCAdapter(MDC.getMDCAdapter());
        JsonLinesEncoder encoder = new JsonLinesEncoder();
        encoder.setContext(context);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(bytes);
        appender.start();
        logger = context.getLogger("io.pgroute.proxy.session.ClientSession");
        logger.addAppender(appender);
    }

    @AfterEach
    void stop() {
        MDC.clear();
        context.stop();
    }

    private List<JsonNode> lines() throws Exception {
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).endsWith("\n");
        List<JsonNode> result = new ArrayList<>();
        for (String each : text.split("\n", -1)) {
            if (!each.isEmpty()) {
                JsonNode node = JSON.readTree(each);
                assertThat(node.isObject()).as(each).isTrue();
                result.add(node);
            }
        }
        return result;
    }

    @Test
    void writesOneObjectPerLineWithSessionFieldsAndTheStackTrace() throws Exception {
        Instant before = Instant.now();
        try (SessionMdc.Scope ignored = SessionMdc.with(42, "app", "shop", "shop/replica-1")) {
            logger.info("session={} started", 42);
            logger.error("backend failed", new IllegalStateException("boom", new RuntimeException("cause")));
        }
        logger.warn("after the session");

        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(3);
        JsonNode started = lines.get(0);
        assertThat(Instant.parse(started.get("timestamp").asText())).isBetween(before.minusMillis(1), Instant.now());
        assertThat(started.get("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(started.get("level").asText()).isEqualTo("INFO");
        assertThat(started.get("logger").asText()).isEqualTo("io.pgroute.proxy.session.ClientSession");
        assertThat(started.get("thread").asText()).isEqualTo(Thread.currentThread().getName());
        assertThat(started.get("message").asText()).isEqualTo("session=42 started");
        assertThat(started.get("session").asText()).isEqualTo("42");
        assertThat(started.get("user").asText()).isEqualTo("app");
        assertThat(started.get("database").asText()).isEqualTo("shop");
        assertThat(started.get("node").asText()).isEqualTo("shop/replica-1");
        assertThat(started.has("exception")).isFalse();

        JsonNode failed = lines.get(1);
        assertThat(failed.get("level").asText()).isEqualTo("ERROR");
        assertThat(failed.get("session").asText()).isEqualTo("42");
        assertThat(failed.get("exception").asText())
                .startsWith("java.lang.IllegalStateException: boom")
                .contains("\tat io.pgroute.proxy.logging.JsonLinesEncoderTest",
                        "Caused by: java.lang.RuntimeException: cause")
                .doesNotEndWith("\n");

        JsonNode after = lines.get(2);
        assertThat(after.get("level").asText()).isEqualTo("WARN");
        assertThat(after.has("session")).isFalse();
        assertThat(after.has("node")).isFalse();
    }

    @Test
    void escapesWhatWouldBreakTheLine() throws Exception {
        String nasty = "quote \" backslash \\ newline \n cr \r tab \t nul \u0000 esc \u001b ls \u2028 é 😀";
        MDC.put("sql", nasty);
        logger.info(nasty);

        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).get("message").asText()).isEqualTo(nasty);
        assertThat(lines.get(0).get("sql").asText()).isEqualTo(nasty);
    }

    @Test
    void anMdcKeyNamedLikeAFixedFieldIsPrefixed() throws Exception {
        MDC.put("message", "from the mdc");
        logger.info("the message");

        JsonNode line = lines().get(0);
        assertThat(line.get("message").asText()).isEqualTo("the message");
        assertThat(line.get("mdc.message").asText()).isEqualTo("from the mdc");
    }

    @Test
    void aNullMessageIsJsonNull() throws Exception {
        logger.info(null);

        assertThat(lines().get(0).get("message").isNull()).isTrue();
    }
}
