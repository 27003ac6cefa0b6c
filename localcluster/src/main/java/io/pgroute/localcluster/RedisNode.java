package io.pgroute.localcluster;

/**
 * The Redis server of a {@link LocalCluster}: no password, no persistence, listening on {@code host:port}.
 *
 * @param host always {@code 127.0.0.1}
 * @param port TCP port
 */
public record RedisNode(String host, int port) {

    /** {@code redis://127.0.0.1:port}. */
    public String uri() {
        return "redis://" + host + ":" + port;
    }
}
