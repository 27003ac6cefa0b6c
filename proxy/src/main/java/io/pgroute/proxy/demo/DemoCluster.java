package io.pgroute.proxy.demo;

import io.pgroute.config.ListenConfig;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.server.Transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The demo's data: a LocalCluster with database {@code app}, a SCRAM role {@code app} (password {@code app}), a
 * sample {@code products} table, and the proxy.yaml that puts pgroute in front of it (users {@code app} and
 * {@code admin}).
 */
public final class DemoCluster {

    public static final String DATABASE = "app";
    public static final String USER = "app";
    public static final String PASSWORD = "app";
    public static final String ADMIN = "admin";
    public static final String ADMIN_PASSWORD = "admin";

    private DemoCluster() {
    }

    /** Creates the role, database and sample table on a started cluster, and waits for the replicas. */
    public static void seed(LocalCluster cluster) {
        cluster.createUser(USER, PASSWORD);
        cluster.createDatabase(DATABASE);
        cluster.execute("postgres", "ALTER DATABASE " + DATABASE + " OWNER TO " + USER);
        cluster.execute(DATABASE,
                "CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL, description text,"
                        + " price numeric(10,2) NOT NULL, stock integer NOT NULL DEFAULT 0)",
                "ALTER TABLE products OWNER TO " + USER,
                "INSERT INTO products (name, description, price, stock) VALUES"
                        + " ('Espresso cup', 'Porcelain, 80 ml', 6.50, 120),"
                        + " ('Pour-over kettle', 'Gooseneck, 1 l, stainless steel', 39.00, 25),"
                        + " ('Burr grinder', 'Conical burrs, 40 settings', 129.00, 8),"
                        + " ('Paper filters', 'Size 02, pack of 100', 5.90, 300),"
                        + " ('Coffee beans', 'Single origin, 250 g', 12.40, 64)");
        cluster.awaitReplication(java.time.Duration.ofSeconds(30));
    }

    /** The proxy.yaml for this cluster, listening on {@code port}, without metrics. */
    public static String proxyYaml(LocalCluster cluster, int port) {
        return proxyYaml(cluster, port, -1);
    }

    /** The proxy.yaml for this cluster, listening on {@code port}; metrics on {@code metricsPort} unless negative. */
    public static String proxyYaml(LocalCluster cluster, int port, int metricsPort) {
        StringBuilder result = new StringBuilder();
        result.append("# Written by `pgroute demo` for its throwaway cluster.\n");
        result.append("listen:\n  host: 127.0.0.1\n  port: ").append(port).append('\n');
        unixSocketDir(cluster, port).ifPresent(dir -> result.append("  unix_socket_dir: ").append(dir).append('\n'));
        result.append("users:\n");
        result.append("  ").append(USER).append(":\n    password: ").append(PASSWORD)
                .append("\n    auth: scram-sha-256\n");
        result.append("  ").append(ADMIN).append(":\n    password: ").append(ADMIN_PASSWORD)
                .append("\n    auth: scram-sha-256\n    admin: true\n");
        result.append("databases:\n  ").append(DATABASE).append(":\n");
        PgNode primary = cluster.primary();
        result.append("    primary: { host: ").append(primary.host()).append(", port: ").append(primary.port())
                .append(" }\n");
        if (!cluster.replicas().isEmpty()) {
            result.append("    replicas:\n");
            for (PgNode each : cluster.replicas()) {
                result.append("      - { host: ").append(each.host()).append(", port: ").append(each.port())
                        .append(" }\n");
            }
        }
        result.append("    dbname: ").append(DATABASE).append('\n');
        result.append("    user: ").append(USER).append('\n');
        result.append("    password: ").append(PASSWORD).append('\n');
        result.append("pool:\n  mode: transaction\n  size: 20\n");
        cluster.redis().ifPresent(redis -> result.append("cache:\n  enabled: true\n  redis: ").append(redis.uri())
                .append("\n"));
        if (metricsPort >= 0) {
            result.append("metrics:\n  listen: \"127.0.0.1:").append(metricsPort).append("\"\n");
        }
        return result.toString();
    }

    /**
     * Where the demo's pgroute also listens on a Unix-domain socket ({@code psql -h <dir> -p <port>}): the cluster's
     * directory, where the transport has such sockets and the socket's path is short enough for one.
     */
    public static Optional<Path> unixSocketDir(LocalCluster cluster, int port) {
        Path dir = cluster.baseDir().toAbsolutePath();
        String socket = ListenConfig.unixSocketPath(dir.toString(), port == 0 ? 65535 : port);
        boolean fits = ListenConfig.fitsUnixSocket(socket);
        // a path the unquoted YAML value and psql's -h take as it is
        boolean plain = dir.toString().matches("[A-Za-z0-9/._-]+");
        return fits && plain && Transport.detect().unixSockets() ? Optional.of(dir) : Optional.empty();
    }

    /** Writes {@link #proxyYaml} next to the cluster's data and returns its path. */
    public static Path writeProxyYaml(LocalCluster cluster, int port) throws IOException {
        return writeProxyYaml(cluster, port, -1);
    }

    /** Writes {@link #proxyYaml} (with metrics on {@code metricsPort} unless negative) and returns its path. */
    public static Path writeProxyYaml(LocalCluster cluster, int port, int metricsPort) throws IOException {
        Path result = cluster.baseDir().resolve("proxy.yaml");
        Files.writeString(result, proxyYaml(cluster, port, metricsPort));
        return result;
    }
}
