package io.pgroute.config;

import java.util.Objects;

/**
 * One PostgreSQL server of a database: its primary or a replica.
 *
 * @param host host name or address, or (starting with {@code /}) the directory of the server's Unix-domain socket,
 *     as libpq takes such a host
 * @param port TCP port, 1-65535, default 5432
 * @param weight share of reads relative to the other replicas, at least 1, default 1
 * @param zone availability zone or rack, for zone-aware routing; may be null
 */
public record NodeConfig(String host, int port, int weight, String zone) {

    /** The default PostgreSQL port. */
    public static final int DEFAULT_PORT = 5432;

    /** Checks that the host is present. */
    public NodeConfig {
        Objects.requireNonNull(host, "host");
    }

    /** A node with weight 1 and no zone. */
    public static NodeConfig of(String host, int port) {
        return new NodeConfig(host, port, 1, null);
    }

    /** {@code host:port}, as shown in logs and the admin console; the socket's path for a socket directory. */
    public String address() {
        if (socketDirectory()) {
            return socketPath();
        }
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** Whether {@link #host} names the directory of a Unix-domain socket (it starts with a slash), as in libpq. */
    public boolean socketDirectory() {
        return isSocketDirectory(host);
    }

    /** Whether a host names a socket directory rather than a host: it starts with a slash, as libpq reads it. */
    public static boolean isSocketDirectory(String host) {
        return host.startsWith("/");
    }

    /** The server's socket in the directory {@link #host}: {@code <host>/.s.PGSQL.<port>}. */
    public String socketPath() {
        return socketPath(host, port);
    }

    /** The socket of a server on {@code port} in the socket directory {@code dir}. */
    public static String socketPath(String dir, int port) {
        return ListenConfig.unixSocketPath(dir, port);
    }

    static NodeConfig read(MappingReader reader) {
        String host = reader.requiredString("host").orElse("");
        int port = reader.integer("port", DEFAULT_PORT, 1, 65535);
        int weight = reader.integer("weight", 1, 1, Integer.MAX_VALUE);
        String zone = reader.string("zone").orElse(null);
        reader.finish();
        NodeConfig result = new NodeConfig(host, port, weight, zone);
        if (result.socketDirectory() && !ListenConfig.fitsUnixSocket(result.socketPath())) {
            reader.problem("host", "is too long: the socket path " + result.socketPath() + " must be at most "
                    + ListenConfig.MAX_UNIX_SOCKET_PATH + " bytes");
        }
        return result;
    }
}
