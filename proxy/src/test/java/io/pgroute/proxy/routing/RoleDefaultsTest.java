package io.pgroute.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoleDefaultsTest {

    private static final Map<String, String> SERVER = Map.of("default_transaction_isolation", "read committed",
            "synchronous_commit", "on");

    @Test
    void appliesPostgresqlsOrderRoleInDatabaseThenRoleThenDatabaseThenAllRolesThenServer() {
        RoleDefaults defaults = RoleDefaults.of(List.of(
                new RoleDefaults.Row("both", true, List.of("default_transaction_isolation=serializable")),
                new RoleDefaults.Row("both", false, List.of("default_transaction_isolation=repeatable read",
                        "synchronous_commit=off")),
                new RoleDefaults.Row("own", false, List.of("default_transaction_isolation=serializable")),
                new RoleDefaults.Row(null, true, List.of("synchronous_commit=local")),
                new RoleDefaults.Row(null, false, List.of("default_transaction_isolation=repeatable read",
                        "synchronous_commit=off"))), SERVER);

        assertThat(defaults.value("both", "default_transaction_isolation")).isEqualTo("serializable");
        assertThat(defaults.value("both", "synchronous_commit")).isEqualTo("off");
        assertThat(defaults.serializable("both")).isTrue();
        assertThat(defaults.asynchronous("both")).isTrue();
        assertThat(defaults.serializable("own")).isTrue();
        // the database's setting over ALTER ROLE ALL's; ALTER ROLE ALL's over the server's
        assertThat(defaults.value("own", "synchronous_commit")).isEqualTo("local");
        assertThat(defaults.asynchronous("own")).isFalse();
        assertThat(defaults.value("anyone", "default_transaction_isolation")).isEqualTo("repeatable read");
        assertThat(defaults.serializable("anyone")).isFalse();
        assertThat(defaults.serializable(null)).isFalse();
        assertThat(defaults.anyAsynchronous()).isTrue();
    }

    @Test
    void readsEveryWayASettingIsSpelledAndIgnoresOtherSettings() {
        RoleDefaults defaults = RoleDefaults.of(List.of(
                new RoleDefaults.Row("a", false, List.of("Synchronous_Commit=FALSE", "search_path=a, b",
                        "application_name=x=y")),
                new RoleDefaults.Row("b", false, List.of("default_transaction_isolation=SERIALIZABLE")),
                new RoleDefaults.Row("c", false, List.of("malformed", "=off"))), SERVER);

        assertThat(defaults.asynchronous("a")).isTrue();
        assertThat(defaults.value("a", "search_path")).isNull();
        assertThat(defaults.serializable("b")).isTrue();
        assertThat(defaults.asynchronous("c")).isFalse();
        assertThat(defaults.serializable("c")).isFalse();
    }

    @Test
    void theServersValuesCountForRolesWithoutTheirOwn() {
        RoleDefaults serializableServer = RoleDefaults.of(List.of(new RoleDefaults.Row("app", false,
                List.of("default_transaction_isolation=read committed"))), Map.of("default_transaction_isolation",
                "serializable", "synchronous_commit", "off"));
        assertThat(serializableServer.serializable("app")).isFalse();
        assertThat(serializableServer.serializable("other")).isTrue();
        assertThat(serializableServer.asynchronous("other")).isTrue();
        assertThat(serializableServer.anyAsynchronous()).isTrue();

        RoleDefaults databaseOverridesServer = RoleDefaults.of(List.of(new RoleDefaults.Row(null, true,
                List.of("synchronous_commit=on"))), Map.of("synchronous_commit", "off"));
        assertThat(databaseOverridesServer.asynchronous("any")).isFalse();
        assertThat(databaseOverridesServer.anyAsynchronous()).isFalse();
    }

    @Test
    void builtInDefaultsAreSynchronousReadCommitted() {
        assertThat(RoleDefaults.BUILT_IN.serializable("app")).isFalse();
        assertThat(RoleDefaults.BUILT_IN.asynchronous("app")).isFalse();
        assertThat(RoleDefaults.BUILT_IN.anyAsynchronous()).isFalse();
    }

    @Test
    void theServersValueHiddenByTheControlRolesOwnIsTakenFromTheFileOrAssumedSafe() {
        List<RoleDefaults.ServerSetting> shown = List.of(
                new RoleDefaults.ServerSetting("default_transaction_isolation", "repeatable read", "configuration file",
                        "read committed"),
                new RoleDefaults.ServerSetting("synchronous_commit", "off", "configuration file", "on"));
        assertThat(RoleDefaults.hidden(shown)).isEmpty();
        assertThat(RoleDefaults.serverValues(shown, null)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "default_transaction_isolation", "repeatable read", "synchronous_commit", "off"));

        // ALTER ROLE pgroute SET …: pg_settings shows the role's value, not the configuration's
        List<RoleDefaults.ServerSetting> hidden = List.of(
                new RoleDefaults.ServerSetting("default_transaction_isolation", "read committed", "user",
                        "read committed"),
                new RoleDefaults.ServerSetting("synchronous_commit", "on", "database", "on"));
        assertThat(RoleDefaults.hidden(hidden)).containsExactly("default_transaction_isolation", "synchronous_commit");
        assertThat(RoleDefaults.serverValues(hidden, Map.of("synchronous_commit", "off")))
                .as("the file read: its value, else the built-in one").containsExactlyInAnyOrderEntriesOf(Map.of(
                        "default_transaction_isolation", "read committed", "synchronous_commit", "off"));
        Map<String, String> assumed = RoleDefaults.serverValues(hidden, null);
        assertThat(assumed).as("the file not readable: what is safe").containsExactlyInAnyOrderEntriesOf(Map.of(
                "default_transaction_isolation", "serializable", "synchronous_commit", "off"));
        RoleDefaults defaults = RoleDefaults.of(List.of(
                new RoleDefaults.Row("sync", false, List.of("synchronous_commit=on",
                        "default_transaction_isolation=read committed"))), assumed);
        assertThat(defaults.asynchronous("anyone")).isTrue();
        assertThat(defaults.serializable("anyone")).isTrue();
        assertThat(defaults.asynchronous("sync")).as("a role's own setting still counts").isFalse();
        assertThat(defaults.serializable("sync")).isFalse();
    }
}
