package io.pgroute.proxy.session;

import io.pgroute.proxy.backend.SessionSettings;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Which sessions' transactions a standby would refuse as serializable. */
class SerializableDefaultTest {

    @Test
    void readsTheStartupOptionsAsPostgreSqlDoes() {
        assertThat(SerializableDefault.fromOptions("-c default_transaction_isolation=serializable"))
                .isEqualTo("serializable");
        assertThat(SerializableDefault.fromOptions(
                "-cstatement_timeout=5 --default-transaction-isolation=SERIALIZABLE")).isEqualTo("SERIALIZABLE");
        assertThat(SerializableDefault.fromOptions("-c  search_path=a\\ b   -c default_transaction_isolation="
                + "serializable -c default_transaction_isolation=read\\ committed")).isEqualTo("read committed");
        assertThat(SerializableDefault.fromOptions("-c statement_timeout=5")).isNull();
    }

    @Test
    void aCommittedSetOverridesTheStartupValueUntilReset() {
        SerializableDefault atStartup = new SerializableDefault(Map.of("options",
                "-c default_transaction_isolation=serializable"), () -> false);
        SessionSettings settings = new SessionSettings();
        assertThat(atStartup.serializable(settings)).isTrue();
        settings.set("default_transaction_isolation", "'repeatable read'");
        assertThat(atStartup.serializable(settings)).isFalse();
        settings.reset("default_transaction_isolation");
        assertThat(atStartup.serializable(settings)).isTrue();

        SerializableDefault plain = new SerializableDefault(Map.of("user", "app"), () -> false);
        assertThat(plain.serializable(settings)).isFalse();
        settings.set("default_transaction_isolation", "'Serializable'");
        assertThat(plain.serializable(settings)).isTrue();
        assertThat(new SerializableDefault(Map.of("default_transaction_isolation", "serializable"), () -> false)
                .serializable(new SessionSettings())).as("as a startup parameter of its own").isTrue();
    }

    @Test
    void withoutAValueOfItsOwnTheSessionHasTheServersDefault() {
        java.util.concurrent.atomic.AtomicBoolean server = new java.util.concurrent.atomic.AtomicBoolean(true);
        SessionSettings settings = new SessionSettings();
        SerializableDefault plain = new SerializableDefault(Map.of("user", "app"), server::get);
        assertThat(plain.serializable(settings)).as("ALTER ROLE … SET default_transaction_isolation").isTrue();
        server.set(false);
        assertThat(plain.serializable(settings)).isFalse();
        server.set(true);
        settings.set("default_transaction_isolation", "'read committed'");
        assertThat(plain.serializable(settings)).as("the session's own SET comes first").isFalse();
        settings.reset("default_transaction_isolation");
        assertThat(plain.serializable(settings)).isTrue();
        SerializableDefault given = new SerializableDefault(Map.of("options",
                "-c default_transaction_isolation=read\\ committed"), server::get);
        assertThat(given.serializable(settings)).as("a startup option comes first too").isFalse();
    }
}
