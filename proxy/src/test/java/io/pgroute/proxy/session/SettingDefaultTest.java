package io.pgroute.proxy.session;

import io.pgroute.proxy.backend.SessionSettings;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Which sessions' transactions a standby would refuse as serializable, and which commit asynchronously. */
class SettingDefaultTest {

    @Test
    void readsTheStartupOptionsAsPostgreSqlDoes() {
        assertThat(SettingDefault.fromOptions("-c default_transaction_isolation=serializable",
                "default_transaction_isolation")).isEqualTo("serializable");
        assertThat(SettingDefault.fromOptions("-cstatement_timeout=5 --default-transaction-isolation=SERIALIZABLE",
                "default_transaction_isolation")).isEqualTo("SERIALIZABLE");
        assertThat(SettingDefault.fromOptions("-c  search_path=a\\ b   -c default_transaction_isolation="
                + "serializable -c default_transaction_isolation=read\\ committed", "default_transaction_isolation"))
                .isEqualTo("read committed");
        assertThat(SettingDefault.fromOptions("-c statement_timeout=5", "default_transaction_isolation")).isNull();
    }

    @Test
    void aCommittedSetOverridesTheStartupValueUntilReset() {
        SettingDefault atStartup = SettingDefault.serializable(Map.of("options",
                "-c default_transaction_isolation=serializable"), () -> false);
        SessionSettings settings = new SessionSettings();
        assertThat(atStartup.holds(settings)).isTrue();
        settings.set("default_transaction_isolation", "'repeatable read'");
        assertThat(atStartup.holds(settings)).isFalse();
        settings.reset("default_transaction_isolation");
        assertThat(atStartup.holds(settings)).isTrue();

        SettingDefault plain = SettingDefault.serializable(Map.of("user", "app"), () -> false);
        assertThat(plain.holds(settings)).isFalse();
        settings.set("default_transaction_isolation", "'Serializable'");
        assertThat(plain.holds(settings)).isTrue();
        assertThat(SettingDefault.serializable(Map.of("default_transaction_isolation", "serializable"), () -> false)
                .holds(new SessionSettings())).as("as a startup parameter of its own").isTrue();
    }

    @Test
    void withoutAValueOfItsOwnTheSessionHasTheServersDefault() {
        java.util.concurrent.atomic.AtomicBoolean server = new java.util.concurrent.atomic.AtomicBoolean(true);
        SessionSettings settings = new SessionSettings();
        SettingDefault plain = SettingDefault.serializable(Map.of("user", "app"), server::get);
        assertThat(plain.holds(settings)).as("ALTER ROLE … SET default_transaction_isolation").isTrue();
        server.set(false);
        assertThat(plain.holds(settings)).isFalse();
        server.set(true);
        settings.set("default_transaction_isolation", "'read committed'");
        assertThat(plain.holds(settings)).as("the session's own SET comes first").isFalse();
        settings.reset("default_transaction_isolation");
        assertThat(plain.holds(settings)).isTrue();
        SettingDefault given = SettingDefault.serializable(Map.of("options",
                "-c default_transaction_isolation=read\\ committed"), server::get);
        assertThat(given.holds(settings)).as("a startup option comes first too").isFalse();
    }

    @Test
    void synchronousCommitOffInAnyOfItsSpellings() {
        java.util.concurrent.atomic.AtomicBoolean server = new java.util.concurrent.atomic.AtomicBoolean(false);
        SessionSettings settings = new SessionSettings();
        SettingDefault plain = SettingDefault.asynchronousCommit(Map.of("user", "app"), server::get);
        assertThat(plain.holds(settings)).isFalse();
        for (String off : new String[] {"off", "'OFF'", "false", "no", "0"}) {
            settings.set("synchronous_commit", off);
            assertThat(plain.holds(settings)).as(off).isTrue();
        }
        for (String on : new String[] {"on", "local", "remote_apply", "'remote_write'", "true", "1"}) {
            settings.set("synchronous_commit", on);
            assertThat(plain.holds(settings)).as(on).isFalse();
        }
        settings.reset("synchronous_commit");
        server.set(true);
        assertThat(plain.holds(settings)).as("ALTER ROLE … SET synchronous_commit = off").isTrue();
        assertThat(SettingDefault.asynchronousCommit(Map.of("options", "-c synchronous_commit=off"), () -> false)
                .holds(new SessionSettings())).as("-c synchronous_commit=off at startup").isTrue();
    }
}
