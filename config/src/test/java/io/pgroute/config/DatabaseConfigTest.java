package io.pgroute.config;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which of a database's settings a reload applies: {@link DatabaseConfig#restartOnly()} must change with every
 * setting a reload cannot apply and with no other, and every component of the record must be one or the other, so
 * that a new setting cannot be applied half by a reload without anyone deciding it.
 */
class DatabaseConfigTest {

    private static final DatabaseConfig BASE = new DatabaseConfig("app", NodeConfig.of("127.0.0.1", 5432),
            List.of(NodeConfig.of("127.0.0.1", 5433)), "app", "app", "secret", BackendTlsMode.VERIFY_CA, "monitor",
            "monitor-secret", "SELECT usename, passwd FROM pgroute.user_secret($1)", "/etc/ca.pem", null, 0);

    /** Each setting a reload cannot apply, and a configuration differing from {@link #BASE} in it alone. */
    private static Map<String, DatabaseConfig> restartOnlyChanges() {
        Map<String, DatabaseConfig> result = new LinkedHashMap<>();
        result.put("primary", with(BASE, "primary", NodeConfig.of("127.0.0.1", 6543)));
        result.put("dbname", with(BASE, "dbname", "other"));
        result.put("user", with(BASE, "user", "someone"));
        result.put("password", with(BASE, "password", "changed"));
        result.put("tls", with(BASE, "tls", BackendTlsMode.VERIFY_FULL));
        result.put("monitorUser", with(BASE, "monitorUser", "watcher"));
        result.put("monitorPassword", with(BASE, "monitorPassword", "changed"));
        result.put("authQuery", with(BASE, "authQuery", "SELECT 1, $1"));
        result.put("tlsCa", with(BASE, "tlsCa", "/etc/other-ca.pem"));
        return result;
    }

    /** Each setting a reload applies, and a configuration differing from {@link #BASE} in it alone. */
    private static Map<String, DatabaseConfig> reloadableChanges() {
        Map<String, DatabaseConfig> result = new LinkedHashMap<>();
        result.put("replicas", with(BASE, "replicas", List.of()));
        result.put("addresses", with(BASE, "addresses", List.of(AddressRange.parse("10.0.0.0/8").orElseThrow())));
        result.put("maxClients", with(BASE, "maxClients", 5));
        return result;
    }

    /** {@code config} with its record component {@code component} replaced by {@code value}. */
    private static DatabaseConfig with(DatabaseConfig config, String component, Object value) {
        var components = DatabaseConfig.class.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        boolean found = false;
        try {
            for (int i = 0; i < components.length; i++) {
                found |= components[i].getName().equals(component);
                values[i] = components[i].getName().equals(component) ? value
                        : components[i].getAccessor().invoke(config);
                types[i] = components[i].getType();
            }
            assertThat(found).as("a component named " + component).isTrue();
            return DatabaseConfig.class.getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void everySettingIsEitherRestartOnlyOrAppliedByAReload() {
        Set<String> classified = new TreeSet<>(restartOnlyChanges().keySet());
        classified.addAll(reloadableChanges().keySet());
        classified.add("name");  // the key in databases: a different name is another database
        Set<String> components = new TreeSet<>();
        Arrays.stream(DatabaseConfig.class.getRecordComponents()).forEach(each -> components.add(each.getName()));
        assertThat(classified).as("a new DatabaseConfig component must be classified here and in restartOnly()")
                .isEqualTo(components);
    }

    @Test
    void restartOnlyChangesWithEachSettingAReloadCannotApply() {
        restartOnlyChanges().forEach((name, changed) -> {
            assertThat(changed).as(name).isNotEqualTo(BASE);
            assertThat(changed.restartOnly()).as(name).isNotEqualTo(BASE.restartOnly());
            // a reload names what changed: exactly one entry, under its proxy.yaml name
            assertThat(changed.restartOnly().entrySet().stream()
                    .filter(each -> !java.util.Objects.equals(each.getValue(), BASE.restartOnly().get(each.getKey())))
                    .map(Map.Entry::getKey).toList()).as(name)
                    .containsExactly(name.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT));
        });
    }

    @Test
    void restartOnlyIgnoresTheSettingsAReloadApplies() throws Exception {
        for (Map.Entry<String, DatabaseConfig> each : reloadableChanges().entrySet()) {
            assertThat(each.getValue()).as(each.getKey()).isNotEqualTo(BASE);
            assertThat(each.getValue().restartOnly()).as(each.getKey()).isEqualTo(BASE.restartOnly());
        }
        assertThat(reloadableChanges().get("addresses").allowedFrom(InetAddress.getByName("127.0.0.1"))).isFalse();
    }
}
