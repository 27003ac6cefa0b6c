package io.pgroute.config;

/** How pgroute authenticates a client user ({@code users.<name>.auth}). */
public enum AuthMethod {
    /** SCRAM-SHA-256 with a password or a stored verifier; the default. */
    SCRAM_SHA_256,
    /** MD5 challenge-response; needs the plaintext password. */
    MD5,
    /** No password asked; only for trusted networks and tests. */
    TRUST,
    /**
     * The client's operating-system user, which the kernel tells pgroute on its Unix-domain socket, must be the
     * user's name (PostgreSQL's {@code peer}); refused over TCP.
     */
    PEER,
    /**
     * The client's TLS certificate, signed by a CA of {@code tls.client_ca}, must name the user in its common name
     * (PostgreSQL's {@code cert}); refused without TLS or without such a certificate.
     */
    CERT;

    /** Whether this method needs no password or verifier: it asks for none. */
    public boolean asksNoPassword() {
        return this == TRUST || this == PEER || this == CERT;
    }
}
