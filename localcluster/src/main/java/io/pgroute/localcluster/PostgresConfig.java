package io.pgroute.localcluster;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The text of the configuration files a {@link LocalCluster} writes: settings shared by all nodes (appended to
 * {@code postgresql.conf} before the primary's data directory is copied), the per-node include file and
 * {@code pg_hba.conf}.
 */
final class PostgresConfig {

    /** Written fresh before each start of a node; holds what differs between nodes (port, primary_conninfo). */
    static final String NODE_FILE = "pgroute-node.conf";

    private static final Pattern SETTING_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

    private PostgresConfig() {
    }

    /** Defaults for a small, fast, replicating test cluster; {@code overrides} win. */
    static Map<String, String> sharedSettings(Map<String, String> overrides) {
        Map<String, String> result = new LinkedHashMap<>();
        result.put("listen_addresses", "127.0.0.1");
        result.put("unix_socket_directories", "");
        result.put("max_connections", "200");
        result.put("max_prepared_transactions", "10");  // two-phase commit through pgroute is tested (COMPAT T11)
        result.put("shared_buffers", "32MB");
        result.put("password_encryption", "scram-sha-256");
        result.put("wal_level", "replica");
        result.put("max_wal_senders", "10");
        result.put("wal_keep_size", "128MB");
        result.put("hot_standby", "on");
        result.put("hot_standby_feedback", "on");
        result.put("fsync", "off");
        result.put("full_page_writes", "off");
        result.put("logging_collector", "off");
        result.put("log_line_prefix", "%m [%p] %q%u@%d ");
        result.put("timezone", "UTC");
        result.put("log_timezone", "UTC");
        result.putAll(overrides);
        return result;
    }

    /** Lines for {@code postgresql.conf}: each setting, then the include of {@link #NODE_FILE}. */
    static String sharedFile(Map<String, String> settings) {
        StringBuilder result = new StringBuilder("\n# added by pgroute LocalCluster\n");
        settings.forEach((name, value) -> result.append(line(name, value)));
        result.append("include_if_exists = '").append(NODE_FILE).append("'\n");
        return result.toString();
    }

    static String nodeFile(Map<String, String> settings) {
        StringBuilder result = new StringBuilder("# written by pgroute LocalCluster before each start\n");
        settings.forEach((name, value) -> result.append(line(name, value)));
        return result.toString();
    }

    /**
     * Method {@code md5} everywhere: it accepts md5-stored passwords and still uses SCRAM for SCRAM-stored ones,
     * whereas {@code scram-sha-256} would refuse users created by {@link LocalCluster#createMd5User}.
     */
    static String hbaFile() {
        return """
                # written by pgroute LocalCluster
                # TYPE  DATABASE     USER  ADDRESS       METHOD
                host    all          all   127.0.0.1/32  md5
                host    replication  all   127.0.0.1/32  md5
                local   all          all                 md5
                """;
    }

    /** A libpq connection string for a standby's {@code primary_conninfo}. */
    static String conninfo(int port, String user, String password, String applicationName) {
        return conninfo("127.0.0.1", port, user, password, applicationName);
    }

    /** {@link #conninfo(int, String, String, String)} for a primary on another host (a container's network alias). */
    static String conninfo(String host, int port, String user, String password, String applicationName) {
        return "host=" + host + " port=" + port + " user=" + conninfoValue(user) + " password="
                + conninfoValue(password) + " application_name=" + conninfoValue(applicationName)
                + " connect_timeout=5";
    }

    static void checkSettingName(String name) {
        if (name == null || !SETTING_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a PostgreSQL setting name: " + name);
        }
    }

    /** One {@code name = 'value'} line of a configuration file, the value quoted. */
    static String line(String name, String value) {
        return name + " = '" + value.replace("\\", "\\\\").replace("'", "''") + "'\n";
    }

    private static String conninfoValue(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
