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
    PEER
}
