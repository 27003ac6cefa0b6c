package io.pgroute.config;

import java.util.List;
import java.util.Objects;

/**
 * A database that clients may connect to through pgroute ({@code databases.<name>}): the name clients use, the
 * servers behind it and how pgroute logs in to them. {@link #toString()} never shows the password.
 *
 * @param name the database name clients send in their startup message (the key in {@code databases:})
 * @param primary the server that takes writes
 * @param replicas streaming replicas that take reads, in file order; may be empty
 * @param dbname the database name on the servers, default {@code name}
 * @param user the role pgroute logs in as; null means the client's own user name
 * @param password the password for {@code user}; null means the client user's password from {@code users:}
 * @param tls TLS towards the servers, default {@link BackendTlsMode#DISABLE}
 * @param monitorUser the role the control plane (health and lag probes, catalog, promotion) logs in as; null means
 *     {@code user}
 * @param monitorPassword the password for {@code monitorUser}; null with a null {@code monitorUser}
 * @param authQuery the query that gives the stored secret of a user proxy.yaml does not list ({@code $1}: its name),
 *     run by the control plane on the primary; null: such users are unknown
 * @param tlsCa the PEM file of the CAs that may sign the servers' certificates with {@code tls: verify-ca} or
 *     {@code verify-full}; null: the JDK's trusted CAs
 * @param addresses where clients of this database may connect from, or null: anywhere
 * @param maxClients how many client connections the database may have at once; 0: no limit of its own
 */
public record DatabaseConfig(String name, NodeConfig primary, List<NodeConfig> replicas, String dbname,
        String user, String password, BackendTlsMode tls, String monitorUser, String monitorPassword,
        String authQuery, String tlsCa, List<AddressRange> addresses, int maxClients) {

    /** A database whose control plane logs in as {@code user}, without an auth query, a CA file or addresses. */
    public DatabaseConfig(String name, NodeConfig primary, List<NodeConfig> replicas, String dbname, String user,
                          String password, BackendTlsMode tls) {
        this(name, primary, replicas, dbname, user, password, tls, null, null, null, null, null, 0);
    }

    /** Whether a client at {@code address} (null: on pgroute's Unix-domain socket) may use this database. */
    public boolean allowedFrom(java.net.InetAddress address) {
        return AddressRange.allows(addresses, address);
    }

    /** The role the control plane logs in as: {@code monitor_user}, else {@code user} (null: none). */
    public String controlUser() {
        return monitorUser != null ? monitorUser : user;
    }

    /** The password of {@link #controlUser()} (null: none). */
    public String controlPassword() {
        return monitorUser != null ? monitorPassword : password;
    }

    /** Whether the control plane has a role and password to log in with: health checks, lag, catalog. */
    public boolean hasControlLogin() {
        return controlUser() != null && controlPassword() != null;
    }

    /**
     * The settings a reload cannot change, by their names in proxy.yaml, in file order: the primary, {@code dbname},
     * the logins ({@code user}, {@code password}, {@code monitor_user}, {@code monitor_password},
     * {@code auth_query}) and TLS ({@code tls}, {@code tls_ca}); a value is null where unset. The server pools and
     * the control plane are built from them at start. A reload applies the rest: {@code replicas}, {@code addresses}
     * and {@code max_clients}.
     */
    public java.util.Map<String, Object> restartOnly() {
        java.util.Map<String, Object> result = new java.util.LinkedHashMap<>();
        result.put("primary", primary);
        result.put("dbname", dbname);
        result.put("user", user);
        result.put("password", password);
        result.put("tls", tls);
        result.put("tls_ca", tlsCa);
        result.put("monitor_user", monitorUser);
        result.put("monitor_password", monitorPassword);
        result.put("auth_query", authQuery);
        return result;
    }

    /** Checks required components and copies the replica list. */
    public DatabaseConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(primary, "primary");
        Objects.requireNonNull(dbname, "dbname");
        Objects.requireNonNull(tls, "tls");
        replicas = List.copyOf(replicas);
        addresses = addresses == null ? null : List.copyOf(addresses);
    }

    /** A database {@code name} on {@code primary} with the given replicas and every other setting defaulted. */
    public static DatabaseConfig of(String name, NodeConfig primary, List<NodeConfig> replicas) {
        return new DatabaseConfig(name, primary, replicas, name, null, null, BackendTlsMode.DISABLE);
    }

    @Override
    public String toString() {
        return "DatabaseConfig[name=" + name + ", primary=" + primary + ", replicas=" + replicas + ", dbname="
                + dbname + ", user=" + user + ", password=" + (password == null ? "null" : "***") + ", tls=" + tls
                + ", monitorUser=" + monitorUser + ", monitorPassword=" + (monitorPassword == null ? "null" : "***")
                + ", authQuery=" + authQuery + ", tlsCa=" + tlsCa + ", addresses=" + addresses + ", maxClients="
                + maxClients + "]";
    }

    static DatabaseConfig read(String name, MappingReader reader, java.nio.file.Path baseDir) {
        NodeConfig primary = reader.mapping("primary").map(NodeConfig::read).orElse(null);
        if (primary == null && !reader.has("primary")) {
            reader.problem("primary", "is required");
        }
        List<NodeConfig> replicas = reader.mappingList("replicas").stream().map(NodeConfig::read).toList();
        String dbname = reader.has("dbname") ? reader.requiredString("dbname").orElse(name) : name;
        String user = reader.has("user") ? reader.requiredString("user").orElse(null) : null;
        String password = reader.string("password").orElse(null);
        BackendTlsMode tls = reader.choice("tls", BackendTlsMode.class, BackendTlsMode.DISABLE);
        String monitorUser = reader.has("monitor_user") ? reader.requiredString("monitor_user").orElse(null) : null;
        String monitorPassword = reader.string("monitor_password").orElse(null);
        if (monitorUser != null && monitorPassword == null) {
            reader.problem("monitor_password", "is required with monitor_user");
        }
        if (monitorUser == null && monitorPassword != null && !reader.has("monitor_user")) {
            reader.problem("monitor_password", "needs monitor_user (the control plane logs in as user with password)");
        }
        String authQuery = reader.has("auth_query") ? reader.requiredString("auth_query").orElse(null) : null;
        if (authQuery != null && !authQuery.contains("$1")) {
            reader.problem("auth_query", "must take the user name as $1, such as SELECT usename, passwd FROM "
                    + "pgroute.user_secret($1)");
        }
        String tlsCa = reader.has("tls_ca") ? reader.requiredString("tls_ca")
                .map(each -> baseDir.resolve(each).normalize().toString()).orElse(null) : null;
        if (tlsCa != null && !tls.verifies()) {
            reader.problem("tls_ca", "needs tls: verify-ca or verify-full (with " + MappingReader.yamlName(tls)
                    + " no certificate is checked)");
        } else if (tlsCa != null && !java.nio.file.Files.isReadable(java.nio.file.Path.of(tlsCa))) {
            reader.problem("tls_ca", "cannot read " + tlsCa);
        }
        List<AddressRange> addresses = AddressRange.readList(reader, "addresses");
        int maxClients = reader.integer("max_clients", 0, 1, Integer.MAX_VALUE);
        // Without a primary a problem has been reported and the placeholder never leaves ConfigLoader.
        DatabaseConfig result = new DatabaseConfig(name, primary == null ? NodeConfig.of("invalid", 1) : primary,
                replicas, dbname, user, password, tls, monitorUser, monitorPassword, authQuery, tlsCa, addresses,
                maxClients);
        if (authQuery != null && !result.hasControlLogin()) {
            reader.problem("auth_query", "needs a login to run it: monitor_user and monitor_password (or user and "
                    + "password)");
        }
        reader.finish();
        return result;
    }
}
