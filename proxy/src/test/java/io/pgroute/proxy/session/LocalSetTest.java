package io.pgroute.proxy.session;

import io.pgroute.proxy.sql.SettingChange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LocalSetTest {

    private static LocalSet set(String name, String value) {
        return LocalSet.of(new SettingChange(name, value, false));
    }

    @Test
    void answersWhatTheServerCouldNotRefuseWithWhatItWouldReport() {
        assertThat(set("extra_float_digits", "3")).isEqualTo(new LocalSet(null, "3"));
        assertThat(set("extra_float_digits", "'-15'")).isEqualTo(new LocalSet(null, "-15"));
        assertThat(set("application_name", "'PostgreSQL JDBC Driver'"))
                .isEqualTo(new LocalSet("application_name", "PostgreSQL JDBC Driver"));
        assertThat(set("application_name", "'it''s'")).isEqualTo(new LocalSet("application_name", "it's"));
        assertThat(set("intervalstyle", "'ISO_8601'")).isEqualTo(new LocalSet("IntervalStyle", "iso_8601"));
        assertThat(set("timezone", "'utc'")).isEqualTo(new LocalSet("TimeZone", "UTC"));
        assertThat(set("standard_conforming_strings", "true"))
                .isEqualTo(new LocalSet("standard_conforming_strings", "on"));
        assertThat(set("client_min_messages", "WARNING")).isEqualTo(new LocalSet(null, "warning"));
    }

    @Test
    void leavesToTheServerWhatItMightRefuseOrReadOtherwise() {
        assertThat(set("extra_float_digits", "4")).as("out of range").isNull();
        assertThat(set("extra_float_digits", "2.5")).isNull();
        assertThat(set("application_name", "word")).as("might be a reserved word").isNull();
        assertThat(set("application_name", "'caf\u00e9'")).as("cleaned by the server").isNull();
        assertThat(set("application_name", "'a\\\\b'")).as("an escape, read by standard_conforming_strings").isNull();
        assertThat(set("application_name", "'a' 'b'")).isNull();
        assertThat(set("application_name", "'" + "x".repeat(64) + "'")).isNull();
        assertThat(set("standard_conforming_strings", "off")).as("changes how texts are read").isNull();
        assertThat(set("timezone", "'Europe/Paris'")).isNull();
        assertThat(set("intervalstyle", "'iso'")).isNull();
        assertThat(set("work_mem", "'4MB'")).as("not one of them").isNull();
        assertThat(LocalSet.of(new SettingChange("application_name", "'x'", true))).as("SET LOCAL").isNull();
        assertThat(set("application_name", null)).as("TO DEFAULT").isNull();
    }
}
