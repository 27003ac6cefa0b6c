package io.pgroute.proxy.logging;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

class SessionMdcTest {

    @AfterEach
    void clear() {
        MDC.clear();
    }

    @Test
    void putsTheFourEntriesAndRemovesThemOnClose() {
        try (SessionMdc.Scope ignored = SessionMdc.with(7, "app", "shop", "shop/primary")) {
            assertThat(MDC.getCopyOfContextMap()).containsOnly(entry("session", "7"), entry("user", "app"),
                    entry("database", "shop"), entry("node", "shop/primary"));
        }
        assertThat(MDC.getCopyOfContextMap()).isNullOrEmpty();
    }

    @Test
    void leavesOutWhatIsNotKnownYet() {
        try (SessionMdc.Scope ignored = SessionMdc.with(7, "app", "shop", null)) {
            assertThat(MDC.get("node")).isNull();
            SessionMdc.node("shop/replica-2");
            assertThat(MDC.get("node")).isEqualTo("shop/replica-2");
        }
        assertThat(MDC.get("node")).isNull();
    }

    @Test
    void nestedScopesRestoreTheOuterSession() {
        MDC.put("other", "kept");
        try (SessionMdc.Scope outer = SessionMdc.with(1, "app", "shop", "shop/primary")) {
            try (SessionMdc.Scope inner = SessionMdc.with(2, "admin", null, null)) {
                assertThat(MDC.get("session")).isEqualTo("2");
                assertThat(MDC.get("database")).isNull();
            }
            assertThat(MDC.get("session")).isEqualTo("1");
            assertThat(MDC.get("user")).isEqualTo("app");
            assertThat(MDC.get("database")).isEqualTo("shop");
            assertThat(MDC.get("node")).isEqualTo("shop/primary");
        }
        assertThat(MDC.get("session")).isNull();
        assertThat(MDC.get("other")).isEqualTo("kept");
    }

    @Test
    void closingTwiceDoesNotUndoALaterScope() {
        SessionMdc.Scope first = SessionMdc.with(1, "app", "shop", null);
        first.close();
        try (SessionMdc.Scope second = SessionMdc.with(2, "app", "shop", null)) {
            first.close();
            assertThat(MDC.get("session")).isEqualTo("2");
        }
    }
}
