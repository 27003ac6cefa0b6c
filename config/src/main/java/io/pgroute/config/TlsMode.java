package io.pgroute.config;

/** Whether clients may or must use TLS to talk to pgroute ({@code tls.mode}). */
public enum TlsMode {
    /** No TLS: an SSLRequest is answered with 'N'. */
    DISABLE,
    /** TLS is offered; clients that do not ask for it may still connect in plaintext. */
    ALLOW,
    /** TLS is offered and plaintext clients are refused. */
    REQUIRE
}
