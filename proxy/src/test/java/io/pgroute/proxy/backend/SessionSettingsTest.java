package io.pgroute.proxy.backend;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SessionSettingsTest {

    @Test
    void replaysEachStatementOnItsOwnLineWithQuotedNames() {
        SessionSettings applied = new SessionSettings();
        applied.set("work_mem", "'4MB'");
        applied.set("my.gone", "1");
        SessionSettings wanted = new SessionSettings();
        wanted.set("work_mem", "'4MB'");
        wanted.set("my.x", "'a''b' -- a comment the client wrote");
        wanted.set("timezone", "INTERVAL '+02:00' HOUR TO MINUTE");
        wanted.set("weird\"name", "2");

        assertThat(wanted.syncSql(applied)).isEqualTo("RESET \"my.gone\"\n"
                + ";SET \"my.x\" TO 'a''b' -- a comment the client wrote\n"
                + ";SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE\n"
                + ";SET \"weird\"\"name\" TO 2");
        assertThat(applied.syncSql(new SessionSettings(applied))).isNull();
    }

    @Test
    void resetAllKeepsTheRoleAndDiscardAllDoesNot() {
        SessionSettings settings = new SessionSettings();
        settings.set("role", "reporting");
        settings.set("session_authorization", "other");
        settings.set("search_path", "a");

        settings.resetAll();
        assertThat(settings.values()).containsOnlyKeys("role", "session_authorization");

        settings.discardAll();
        assertThat(settings.isEmpty()).isTrue();
    }
}
