package io.pgroute.proxy.frontend;

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

    private final ScramServer server;
    private boolean started;

    private ScramExchange(ScramServer server) {
        this.server = server;
    }

    static ScramExchange forUser(UserConfig user) {
        if (user.scramVerifier() != null) {
            return new ScramExchange(new ScramServer(ScramVerifier.parse(user.scramVerifier())));
        }
        return new ScramExchange(new ScramServer(ScramVerifier.fromPassword(user.password(), salt(), ITERATIONS)));
    }

    /** A mock exchange whose salt is stable per user name, so a probe cannot tell unknown users by their salt. */
    static ScramExchange forUnknownUser(String user) {
        return new ScramExchange(ScramServer.mock(user, MOCK_SECRET));
    }

    private static byte[] salt() {
        byte[] result = new byte[16];
        new SecureRandom().nextBytes(result);
        return result;
    }

    boolean started() {
        return started;
    }

    byte[] first(byte[] clientFirst) {
        started = true;
        return server.handleClientFirst(clientFirst);
    }

    byte[] last(byte[] clientFinal) {
        return server.handleClientFinal(clientFinal);
    }
}
