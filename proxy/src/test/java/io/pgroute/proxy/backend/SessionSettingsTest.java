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

    @Test
    void replaysTheClientsApplicationNameUnderItsOwnSets() {
        SessionSettings startup = SessionSettings.startup(java.util.Map.of("application_name", "it's \\ mine",
                "DateStyle", "ISO", "user", "app"));
        assertThat(startup.values()).containsExactly(java.util.Map.entry("application_name", "E'it''s \\\\ mine'"));

        SessionSettings desired = new SessionSettings();
        assertThat(desired.over(startup).syncSql(new SessionSettings()))
                .isEqualTo("SET \"application_name\" TO E'it''s \\\\ mine'");
        desired.set("application_name", "'other'");
        desired.set("search_path", "a");
        assertThat(desired.over(startup).values()).containsOnly(java.util.Map.entry("application_name", "'other'"),
                java.util.Map.entry("search_path", "a"));
        int before = desired.changes();
        desired.reset("application_name");
        assertThat(desired.changes()).isGreaterThan(before);
        assertThat(desired.over(startup).get("application_name")).as("RESET goes back to the startup value")
                .isEqualTo("E'it''s \\\\ mine'");
        assertThat(desired.over(new SessionSettings())).isSameAs(desired);

        SessionSettings applied = desired.over(startup);
        assertThat(desired.over(startup).syncSql(applied)).isNull();
        assertThat(desired.over(startup).syncSql(applied.withUnknown("application_name")))
                .as("after a RESET ran on the server").isEqualTo("SET \"application_name\" TO E'it''s \\\\ mine'");
        assertThat(new SessionSettings().syncSql(applied.withUnknown("application_name")))
                .contains("RESET \"application_name\"");
    }
}
