package io.pgroute.proxy.backend;

import java.util.Map;

/**
 * Where and as whom to open a backend connection: node address, backend database and role, the password for the
 * backend's authentication (may be null for trust), TLS mode and the startup parameters to send.
 */
public record BackendTarget(String node, String host, int port, String database, String user, String password,
                            BackendTls tls, Map<String, String> startupParameters) {

    /** How a backend connection uses TLS. */
    public enum BackendTls { DISABLE, PREFER, REQUIRE }

    public BackendTarget {
        startupParameters = Map.copyOf(startupParameters);
    }

    @Override
    public String toString() {
        return node + "(" + host + ":" + port + "/" + database + " as " + user + ")";
    }
}
