package io.pgroute.config;

/**
 * Whether and how pgroute uses TLS to talk to a database's servers ({@code databases.<name>.tls}), as libpq's
 * {@code sslmode} of the same names.
 */
public enum BackendTlsMode {
    /** Plaintext only; the default. */
    DISABLE,
    /** Ask for TLS, fall back to plaintext if the server refuses. */
    PREFER,
    /** TLS or no connection; any certificate (encryption without authentication of the server). */
    REQUIRE,
    /** TLS or no connection, with a certificate signed by a trusted CA ({@code tls_ca}, else the JDK's). */
    VERIFY_CA,
    /** As {@link #VERIFY_CA}, and the certificate must name the host pgroute connects to. */
    VERIFY_FULL;

    /** Whether a server that refuses TLS cannot be used. */
    public boolean required() {
        return this == REQUIRE || verifies();
    }

    /** Whether the server's certificate is checked. */
    public boolean verifies() {
        return this == VERIFY_CA || this == VERIFY_FULL;
    }
}
