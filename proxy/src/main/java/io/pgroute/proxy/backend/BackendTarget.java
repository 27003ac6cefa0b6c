package io.pgroute.proxy.backend;

import java.util.Map;
import java.util.Objects;

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

    /** Field by field, as a record does, but the same instance (the common case: a pool's own target) first. */
    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        return other instanceof BackendTarget that && port == that.port && tls == that.tls
                && Objects.equals(node, that.node) && Objects.equals(host, that.host)
                && Objects.equals(database, that.database) && Objects.equals(user, that.user)
                && Objects.equals(password, that.password) && startupParameters.equals(that.startupParameters);
    }

    /** As {@code Objects.hash} of the fields, without its varargs array (pools are looked up by target). */
    @Override
    public int hashCode() {
        int result = Objects.hashCode(node);
        result = 31 * result + Objects.hashCode(host);
        result = 31 * result + port;
        result = 31 * result + Objects.hashCode(database);
        result = 31 * result + Objects.hashCode(user);
        result = 31 * result + Objects.hashCode(password);
        result = 31 * result + Objects.hashCode(tls);
        return 31 * result + startupParameters.hashCode();
    }

    @Override
    public String toString() {
        return node + "(" + host + ":" + port + "/" + database + " as " + user + ")";
    }
}
