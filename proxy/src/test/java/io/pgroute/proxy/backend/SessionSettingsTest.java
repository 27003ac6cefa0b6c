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
    void replaysTheClientsStartupParametersUnderItsOwnSets() {
        SessionSettings startup = SessionSettings.startup(java.util.Map.of("application_name", "it's \\ mine",
                "TimeZone", "Asia/Tokyo", "search_path", "\"not closed", "user", "app", "work_mem", "4MB"));
        assertThat(startup.values()).containsOnlyKeys("application_name", "timezone");
        String replay = "SET \"application_name\" TO E'it''s \\\\ mine'";
        assertThat(new SessionSettings().over(startup).syncSql(new SessionSettings()))
                .contains(replay).contains("SET TIME ZONE E'Asia/Tokyo'");

        SessionSettings desired = new SessionSettings();
        desired.set("application_name", "'other'");
        desired.set("work_mem", "'8MB'");
        assertThat(desired.over(startup).values()).containsOnlyKeys("application_name", "timezone", "work_mem")
                .containsEntry("application_name", "'other'");
        int before = desired.changes();
        desired.reset("application_name");
        assertThat(desired.changes()).isGreaterThan(before);
        assertThat(desired.over(startup).syncSql(new SessionSettings())).as("RESET goes back to the startup value")
                .contains(replay);
        assertThat(desired.over(new SessionSettings())).isSameAs(desired);

        SessionSettings applied = desired.over(startup);
        assertThat(desired.over(startup).syncSql(applied)).isNull();
        assertThat(desired.over(startup).syncSql(applied.withUnknown(java.util.List.of("application_name"))))
                .as("after a RESET ran on the server").isEqualTo(replay);
        assertThat(new SessionSettings().syncSql(applied.withUnknown(java.util.List.of("application_name"))))
                .contains("RESET \"application_name\"");

        SessionSettings dmy = new SessionSettings();
        dmy.set("datestyle", "'SQL, DMY'");
        SessionSettings iso = new SessionSettings();
        iso.set("datestyle", "'ISO'");
        assertThat(iso.syncSql(dmy)).as("'ISO' is read against the DateStyle in force: from the default")
                .isEqualTo("RESET \"datestyle\"\n;SET \"datestyle\" TO 'ISO'");
        assertThat(SessionSettings.replayed("TimeZone", "UTC")).isTrue();
        assertThat(SessionSettings.replayed("search_path", "tenant1")).isTrue();
        assertThat(SessionSettings.replayed("options", "-c work_mem=4MB")).isFalse();
    }

    /** A startup search_path is replayed as the list of names PostgreSQL reads from it (SplitIdentifierString). */
    @Test
    void readsAStartupSearchPathAsPostgresqlDoes() {
        assertThat(SessionSettings.searchPathValue("tenant1")).isEqualTo("E'tenant1'");
        assertThat(SessionSettings.searchPathValue("\"$user\", public")).isEqualTo("E'$user', E'public'");
        assertThat(SessionSettings.searchPathValue(" a ,b\t,\tC_1 ")).isEqualTo("E'a', E'b', E'c_1'");
        assertThat(SessionSettings.searchPathValue("\"My \"\"Schema\",x")).isEqualTo("E'My \"Schema', E'x'");
        assertThat(SessionSettings.searchPathValue("o'neil,\"back\\slash\""))
                .isEqualTo("E'o''neil', E'back\\\\slash'");
        assertThat(SessionSettings.searchPathValue("\"a,b\"")).as("one name with a comma").isEqualTo("E'a,b'");
        for (String refused : new String[] {"", "  ", "a,", ",a", "a b", "\"open", "a,,b", "\"a\"b", "Ünïcode"}) {
            assertThat(SessionSettings.searchPathValue(refused)).as(refused).isNull();
        }
        SessionSettings startup = SessionSettings.startup(java.util.Map.of("search_path", "S1,s2", "options", "x"));
        assertThat(startup.values()).containsExactly(java.util.Map.entry("search_path", "E's1', E's2'"));
        assertThat(startup.syncSql(new SessionSettings())).isEqualTo("SET \"search_path\" TO E's1', E's2'");
    }
}
