package io.pgroute.proxy.backend;

import java.util.Map;
import java.util.Objects;

/**
 * Where and as whom to open a backend connection: node address, backend database and role, the password for the
 * backend's authentication (may be null for trust) or, without one, what the client proved at its login
 * ({@link LoginSecret}: passthrough), TLS mode and the startup parameters to send.
 *
 * <p>A value: equal fields, equal targets. Sessions look pools up by target and compare targets on every request,
 * so the hash is computed once, and {@link BackendPools#canonical} gives every session the same instance of equal
 * targets, which makes those comparisons identity checks.
 */
public final class BackendTarget {

    /** How a backend connection uses TLS: as libpq's {@code sslmode} of the same names. */
    public enum BackendTls {
        DISABLE, PREFER, REQUIRE, VERIFY_CA, VERIFY_FULL;

        /** Whether a server that refuses TLS cannot be used. */
        public boolean required() {
            return this == REQUIRE || this == VERIFY_CA || this == VERIFY_FULL;
        }
    }

    private final String node;
    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final String password;
    private final LoginSecret loginSecret;
    private final BackendTls tls;
    private final String tlsCa;
    private final Map<String, String> startupParameters;
    private final int hash;

    public BackendTarget(String node, String host, int port, String database, String user, String password,
                         BackendTls tls, Map<String, String> startupParameters) {
        this(node, host, port, database, user, password, null, tls, null, startupParameters);
    }

    /**
     * @param loginSecret what logs in when there is no {@code password} (null: none)
     * @param tlsCa the PEM file of the CAs trusted to sign the server's certificate (verify modes; null: the JDK's)
     */
    public BackendTarget(String node, String host, int port, String database, String user, String password,
                         LoginSecret loginSecret, BackendTls tls, String tlsCa,
                         Map<String, String> startupParameters) {
        this.node = node;
        this.host = host;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
        this.loginSecret = password == null ? loginSecret : null;
        this.tls = tls;
        this.tlsCa = tlsCa;
        this.startupParameters = Map.copyOf(startupParameters);
        int result = Objects.hashCode(node);
        result = 31 * result + Objects.hashCode(host);
        result = 31 * result + port;
        result = 31 * result + Objects.hashCode(database);
        result = 31 * result + Objects.hashCode(user);
        result = 31 * result + Objects.hashCode(password);
        result = 31 * result + Objects.hashCode(this.loginSecret);
        result = 31 * result + Objects.hashCode(tls);
        result = 31 * result + Objects.hashCode(tlsCa);
        this.hash = 31 * result + this.startupParameters.hashCode();
    }

    /** The node's name for logs and the admin console, such as {@code app/replica1}. */
    public String node() {
        return node;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** The database to ask the backend for. */
    public String database() {
        return database;
    }

    /** The role to log in to the backend as. */
    public String user() {
        return user;
    }

    /** The backend password, or null (trust). */
    public String password() {
        return password;
    }

    /** What logs in when there is no password (the client's proof at its login), or null. */
    public LoginSecret loginSecret() {
        return loginSecret;
    }

    public BackendTls tls() {
        return tls;
    }

    /** The CA file for the verify modes, or null (the JDK's trusted CAs). */
    public String tlsCa() {
        return tlsCa;
    }

    /** The startup parameters to send (immutable). */
    public Map<String, String> startupParameters() {
        return startupParameters;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        return other instanceof BackendTarget that && hash == that.hash && port == that.port && tls == that.tls
                && Objects.equals(node, that.node) && Objects.equals(host, that.host)
                && Objects.equals(database, that.database) && Objects.equals(user, that.user)
                && Objects.equals(password, that.password) && Objects.equals(loginSecret, that.loginSecret)
                && Objects.equals(tlsCa, that.tlsCa)
                && startupParameters.equals(that.startupParameters);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return node + "(" + host + ":" + port + "/" + database + " as " + user + ")";
    }
}
