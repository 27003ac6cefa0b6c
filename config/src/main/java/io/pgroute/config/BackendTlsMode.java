package io.pgroute.config;

/** Whether pgroute uses TLS to talk to a database's servers ({@code databases.<name>.tls}). */
public enum BackendTlsMode {
    /** Plaintext only; the default. */
    DISABLE,
    /** Ask for TLS, fall back to plaintext if the server refuses. */
    PREFER,
    /** Ask for TLS and fail the connection if the server refuses. */
    REQUIRE
}
