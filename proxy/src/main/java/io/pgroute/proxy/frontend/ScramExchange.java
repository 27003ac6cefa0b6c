package io.pgroute.proxy.frontend;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.pgroute.config.UserConfig;
import io.pgroute.protocol.auth.ScramServer;
import io.pgroute.protocol.auth.ScramVerifier;

import java.security.SecureRandom;

/**
 * The server side of one client's SCRAM-SHA-256 exchange, built from the user's password or stored verifier; for
 * an unknown user, from a random password so the exchange runs to the end and fails like a wrong password.
 */
final class ScramExchange {

    private static final int ITERATIONS = 4096;
    /** Per-process secret from which mock salts of unknown users are derived. */
    private static final byte[] MOCK_SECRET = new SecureRandom().generateSeed(32);
    /**
     * The verifier of each configured user, derived once, as PostgreSQL stores one: deriving it from a password costs
     * 4096 rounds of HMAC (about 2 ms on the event loop) that every login repeated, and made a known user's login
     * measurably slower than an unknown one's. Keyed by the config's user entry (by identity: a reloaded config's
     * entries are new keys, and the old ones go with the old config).
     */
    private static final Cache<UserConfig, ScramVerifier> VERIFIERS = Caffeine.newBuilder().weakKeys().build();

    private final ScramServer server;
    private boolean started;

    private ScramExchange(ScramServer server) {
        this.server = server;
    }

    /** @param tlsServerEndPoint the channel binding of this TLS connection, or null: then no -PLUS is offered */
    static ScramExchange forUser(UserConfig user, byte[] tlsServerEndPoint) {
        ScramVerifier verifier = VERIFIERS.get(user, each -> each.scramVerifier() != null
                ? ScramVerifier.parse(each.scramVerifier())
                : ScramVerifier.fromPassword(each.password(), salt(), ITERATIONS));
        return new ScramExchange(new ScramServer(verifier, tlsServerEndPoint));
    }

    /**
     * A mock exchange whose salt is stable per user name, so a probe cannot tell unknown users by their salt; over
     * TLS it offers the mechanisms a known user is offered (SCRAM-SHA-256-PLUS too), as PostgreSQL does whatever the
     * user, so neither can the mechanism list tell them.
     *
     * @param tlsServerEndPoint the channel binding of this TLS connection, or null
     */
    static ScramExchange forUnknownUser(String user, byte[] tlsServerEndPoint) {
        return new ScramExchange(ScramServer.mock(user, MOCK_SECRET, tlsServerEndPoint));
    }

    private static byte[] salt() {
        byte[] result = new byte[16];
        new SecureRandom().nextBytes(result);
        return result;
    }

    /** The mechanisms to offer, most preferred first. */
    java.util.List<String> mechanisms() {
        return server.mechanisms();
    }

    boolean started() {
        return started;
    }

    byte[] first(String mechanism, byte[] clientFirst) {
        started = true;
        return server.handleClientFirst(mechanism, clientFirst);
    }

    byte[] last(byte[] clientFinal) {
        return server.handleClientFinal(clientFinal);
    }

    /** The keys the client proved, after a successful {@link #last}: they log in to servers storing this verifier. */
    io.pgroute.protocol.auth.ScramKeys keys() {
        return server.keys();
    }
}
