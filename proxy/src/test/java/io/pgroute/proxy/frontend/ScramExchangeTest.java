package io.pgroute.proxy.frontend;

import io.pgroute.config.AuthMethod;
import io.pgroute.config.UserConfig;
import io.pgroute.protocol.auth.ScramClient;
import io.pgroute.protocol.auth.ScramException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScramExchangeTest {

    /** The hash of a TLS certificate, as a connection over TLS gives it. */
    private static final byte[] TLS_SERVER_END_POINT = "certificate hash, 32 bytes long.".getBytes(
            StandardCharsets.US_ASCII);

    @Test
    void aUserWithAPasswordGetsTheSameVerifierAtEveryLogin() {
        UserConfig app = new UserConfig("app", "secret", null, AuthMethod.SCRAM_SHA_256, false);

        String first = login(app, "secret");
        String second = login(app, "secret");

        // the salt is the verifier's: one derived per login would be a new random salt each time
        assertThat(salt(second)).isEqualTo(salt(first));
    }

    @Test
    void aReloadedUserEntryGetsItsOwnVerifier() {
        UserConfig before = new UserConfig("app", "secret", null, AuthMethod.SCRAM_SHA_256, false);
        UserConfig after = new UserConfig("app", "changed", null, AuthMethod.SCRAM_SHA_256, false);

        String old = login(before, "secret");
        String changed = login(after, "changed");

        assertThat(salt(changed)).isNotEqualTo(salt(old));
        assertThatThrownBy(() -> login(after, "secret")).isInstanceOf(ScramException.class);
    }

    @Test
    void anUnknownUserIsOfferedTheMechanismsOfAKnownOne() {
        UserConfig app = new UserConfig("app", "secret", null, AuthMethod.SCRAM_SHA_256, false);

        // over TLS both get SCRAM-SHA-256-PLUS first (COMPAT S8), without TLS both only SCRAM-SHA-256
        assertThat(ScramExchange.forUnknownUser("apq", TLS_SERVER_END_POINT).mechanisms())
                .isEqualTo(ScramExchange.forUser(app, TLS_SERVER_END_POINT).mechanisms())
                .containsExactly("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256");
        assertThat(ScramExchange.forUnknownUser("apq", null).mechanisms())
                .isEqualTo(ScramExchange.forUser(app, null).mechanisms());
    }

    @Test
    void anUnknownUsersChannelBoundLoginFailsLikeAWrongPassword() {
        ScramExchange server = ScramExchange.forUnknownUser("apq", TLS_SERVER_END_POINT);
        ScramClient client = new ScramClient("secret", TLS_SERVER_END_POINT);
        byte[] clientFinal = client.handleServerFirst(server.first(client.mechanism(), client.clientFirst()));

        assertThat(client.mechanism()).isEqualTo("SCRAM-SHA-256-PLUS");
        assertThatThrownBy(() -> server.last(clientFinal)).isInstanceOfSatisfying(ScramException.class,
                e -> assertThat(e.sqlState()).isEqualTo("28P01"));
    }

    /** Runs a whole exchange as {@code password}; the server's first message. */
    private static String login(UserConfig user, String password) {
        ScramExchange server = ScramExchange.forUser(user, null);
        ScramClient client = new ScramClient(password);
        byte[] serverFirst = server.first(client.mechanism(), client.clientFirst());
        byte[] serverFinal = server.last(client.handleServerFirst(serverFirst));
        client.verifyServerFinal(serverFinal);
        assertThat(client.isComplete()).isTrue();
        return new String(serverFirst, StandardCharsets.UTF_8);
    }

    private static String salt(String serverFirst) {
        for (String attribute : serverFirst.split(",")) {
            if (attribute.startsWith("s=")) {
                return attribute.substring(2);
            }
        }
        throw new AssertionError("no salt in " + serverFirst);
    }
}
