package io.pgroute.proxy.routing;

import io.pgroute.config.NodeConfig;

import java.util.Properties;

/**
 * How the control plane (pgjdbc: health, lag, catalog) reaches a node: {@code jdbc:postgresql://host:port/db}, or
 * for a node given as a socket directory its Unix-domain socket, through junixsocket's socket factory for pgjdbc (the
 * class is named, not linked: pgjdbc loads it). No TLS on a socket, as libpq ignores {@code sslmode} there.
 */
final class JdbcEndpoint {

    /** junixsocket's factory whose argument is the socket's path. */
    static final String SOCKET_FACTORY = "org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg";

    private JdbcEndpoint() {
    }

    /** The URL of {@code dbname} on {@code node}. */
    static String url(NodeConfig node, String dbname) {
        String address = node.socketDirectory() ? "localhost:" + node.port() : node.address();
        return "jdbc:postgresql://" + address + "/" + dbname;
    }

    /**
     * The connection properties of a control-plane connection as {@code user} (null: pgjdbc's default) to a node of a
     * database whose TLS mode is {@code tls}, with connect and socket timeouts in seconds; complete them with
     * {@link #connecting}.
     */
    static Properties login(String user, String password, io.pgroute.config.DatabaseConfig database,
            String application, String connectTimeoutSeconds, String socketTimeoutSeconds) {
        return login(user, password, database.tls(), database.tlsCa(), application, connectTimeoutSeconds,
                socketTimeoutSeconds);
    }

    /**
     * {@link #login(String, String, io.pgroute.config.DatabaseConfig, String, String, String)} with the TLS mode and
     * CA file ({@code tlsCa}, null: the JDK's trusted CAs for the verify modes) given.
     */
    static Properties login(String user, String password, io.pgroute.config.BackendTlsMode tls, String tlsCa,
            String application, String connectTimeoutSeconds, String socketTimeoutSeconds) {
        Properties result = new Properties();
        if (user != null) {
            result.setProperty("user", user);
        }
        if (password != null) {
            result.setProperty("password", password);
        }
        result.setProperty("connectTimeout", connectTimeoutSeconds);
        result.setProperty("socketTimeout", socketTimeoutSeconds);
        result.setProperty("ApplicationName", application);
        result.setProperty("sslmode", tls.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        if (tls.verifies()) {
            if (tlsCa != null) {
                result.setProperty("sslrootcert", tlsCa);
            } else {
                // pgjdbc's own default is ~/.postgresql/root.crt; pgroute's is the JDK's trusted CAs, as on the data path
                result.setProperty("sslfactory", "org.postgresql.ssl.DefaultJavaSSLFactory");
            }
        }
        return result;
    }

    /**
     * A control-plane connection to {@code node} of {@code database} as {@code user}, with the database's TLS mode and
     * CA file, named {@code application}, with connect and socket timeouts in seconds.
     */
    static java.sql.Connection connect(io.pgroute.config.DatabaseConfig database, String user, String password,
            NodeConfig node, String application, String connectTimeoutSeconds, String socketTimeoutSeconds)
            throws java.sql.SQLException {
        Properties properties = login(user, password, database, application, connectTimeoutSeconds,
                socketTimeoutSeconds);
        return java.sql.DriverManager.getConnection(url(node, database.dbname()), connecting(node, properties));
    }

    /** {@code properties} with what reaching {@code node} needs: for a socket, the factory and no TLS. */
    static Properties connecting(NodeConfig node, Properties properties) {
        if (node.socketDirectory()) {
            properties.setProperty("socketFactory", SOCKET_FACTORY);
            properties.setProperty("socketFactoryArg", node.socketPath());
            properties.setProperty("sslmode", "disable");
            properties.remove("tcpKeepAlive");
        }
        return properties;
    }
}
