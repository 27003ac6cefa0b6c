package io.pgroute.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The server side of one SCRAM-SHA-256 exchange (RFC 5802, RFC 7677, as PostgreSQL runs it), for authenticating a
 * client against a {@link ScramVerifier}. Single use, not thread-safe.
 *
 * <pre>
 *   AuthenticationSASL(mechanisms())
 *   SASLInitialResponse ─▶ handleClientFirst ─▶ AuthenticationSASLContinue(server-first)
 *   SASLResponse        ─▶ handleClientFinal ─▶ AuthenticationSASLFinal(server-final), AuthenticationOk
 *                                            └▶ ScramException: ErrorResponse(sqlState())
 * </pre>
 *
 * <p>The user name in the client-first-message is ignored, as PostgreSQL does: the user is the one from the
 * StartupMessage. Channel binding: {@code n} (client does not support it) is accepted; {@code y} (client supports
 * it but thinks the server does not) is accepted unless this server offers SCRAM-SHA-256-PLUS, which would mean a
 * downgrade; {@code p=tls-server-end-point} is accepted when the server was given its certificate hash.
 */
public final class ScramServer {

    private enum State { EXPECT_CLIENT_FIRST, EXPECT_CLIENT_FINAL, DONE, FAILED }

    private final ScramVerifier verifier;
    private final byte[] tlsServerEndPoint;
    private final Supplier<String> nonces;
    private final boolean mock;

    private State state = State.EXPECT_CLIENT_FIRST;
    private String gs2Header;
    private String nonce;
    private String clientFirstBare;
    private String serverFirst;
    /** The ClientKey the client proved, once the exchange succeeded (its SHA-256 is the verifier's StoredKey). */
    private byte[] clientKey;

    /** Authenticates against {@code verifier}, without channel binding. */
    public ScramServer(ScramVerifier verifier) {
        this(verifier, null);
    }

    /**
     * Authenticates against {@code verifier}; with a {@code tlsServerEndPoint} (the hash of this server's TLS
     * certificate, RFC 5929) also offers SCRAM-SHA-256-PLUS.
     */
    public ScramServer(ScramVerifier verifier, byte[] tlsServerEndPoint) {
        this(verifier, tlsServerEndPoint, Scram::newNonce, false);
    }

    ScramServer(ScramVerifier verifier, byte[] tlsServerEndPoint, Supplier<String> nonces, boolean mock) {
        this.verifier = verifier;
        this.tlsServerEndPoint = tlsServerEndPoint == null ? null : tlsServerEndPoint.clone();
        this.nonces = nonces;
        this.mock = mock;
    }

    /** Authenticates against a verifier derived from {@code password} with a fresh salt. */
    public static ScramServer forPassword(String password) {
        return new ScramServer(ScramVerifier.fromPassword(password));
    }

    /**
     * An exchange that runs to the end and then fails with an invalid proof, for a user that does not exist or has
     * no SCRAM secret, so the client cannot tell (as PostgreSQL's mock authentication). The salt is derived from
     * {@code user} and {@code mockSecret} so it is the same on every attempt. Without channel binding.
     */
    public static ScramServer mock(String user, byte[] mockSecret) {
        return mock(user, mockSecret, null);
    }

    /**
     * {@link #mock(String, byte[])} on a TLS connection whose certificate hash is {@code tlsServerEndPoint} (or
     * null): it offers SCRAM-SHA-256-PLUS exactly when an exchange for a real user would, and a -PLUS exchange fails
     * like a wrong password too, so neither the offered mechanisms nor {@code channel_binding=require} tell an
     * unknown user from a known one.
     */
    public static ScramServer mock(String user, byte[] mockSecret, byte[] tlsServerEndPoint) {
        byte[] seed = Scram.hmac(mockSecret, user);
        byte[] salt = Arrays.copyOf(seed, Scram.DEFAULT_SALT_LENGTH);
        byte[] key = Scram.sha256(seed);
        ScramVerifier verifier = new ScramVerifier(Scram.DEFAULT_ITERATIONS, salt, key, key);
        return new ScramServer(verifier, tlsServerEndPoint, Scram::newNonce, true);
    }

    /** The mechanisms to offer in AuthenticationSASL, most preferred first. */
    public List<String> mechanisms() {
        return tlsServerEndPoint != null ? List.of(Scram.MECHANISM_PLUS, Scram.MECHANISM) : List.of(Scram.MECHANISM);
    }

    /**
     * The keys the client proved it holds, once the exchange finished successfully: with them a proxy logs in as the
     * client to a server that stores this exchange's verifier.
     */
    public ScramKeys keys() {
        requireState(State.DONE);
        // checked against the StoredKey by handleClientFinal already; built only for the logins that need it
        return new ScramKeys(verifier.iterations(), verifier.salt(), clientKey, verifier.serverKey());
    }

    /** Whether the exchange finished successfully. */
    public boolean isComplete() {
        return state == State.DONE;
    }

    /** Handles the client-first-message, inferring the mechanism from its channel-binding flag. */
    public byte[] handleClientFirst(byte[] clientFirstMessage) {
        boolean plus = clientFirstMessage.length > 0 && clientFirstMessage[0] == 'p';
        return handleClientFirst(plus ? Scram.MECHANISM_PLUS : Scram.MECHANISM, clientFirstMessage);
    }

    /**
     * Handles the mechanism and client-first-message of a SASLInitialResponse and returns the server-first-message.
     */
    // client-first-message: gs2-cbind-flag ("n" | "y" | "p=" cb-name) "," [authzid] "," [m=ext ","] n=user,r=nonce[,ext]
    public byte[] handleClientFirst(String mechanism, byte[] clientFirstMessage) {
        requireState(State.EXPECT_CLIENT_FIRST);
        state = State.FAILED;
        if (!mechanisms().contains(mechanism)) {
            throw ScramException.malformed("client selected an invalid SASL authentication mechanism");
        }
        String message = Scram.utf8(clientFirstMessage);
        int flagEnd = message.indexOf(',');
        int authzidEnd = flagEnd < 0 ? -1 : message.indexOf(',', flagEnd + 1);
        if (authzidEnd < 0) {
            throw ScramException.malformed("malformed SCRAM message: no GS2 header");
        }
        checkChannelBindingFlag(mechanism, message.substring(0, flagEnd));
        if (authzidEnd != flagEnd + 1) {
            throw ScramException.malformed("client uses authorization identity, but it is not supported");
        }
        gs2Header = message.substring(0, authzidEnd + 1);
        clientFirstBare = message.substring(authzidEnd + 1);
        List<Scram.Attribute> attributes = Scram.parseAttributes(clientFirstBare);
        if (!attributes.isEmpty() && attributes.get(0).name() == 'm') {
            throw ScramException.malformed("client requires an unsupported SCRAM extension");
        }
        Scram.expect(attributes, 0, 'n');
        String clientNonce = Scram.expect(attributes, 1, 'r');
        if (!Scram.isValidNonce(clientNonce)) {
            throw ScramException.malformed("malformed SCRAM message: invalid nonce");
        }
        nonce = clientNonce + nonces.get();
        serverFirst = "r=" + nonce + ",s=" + Scram.base64(verifier.salt()) + ",i=" + verifier.iterations();
        state = State.EXPECT_CLIENT_FINAL;
        return Scram.utf8(serverFirst);
    }

    /**
     * Checks the client-final-message and returns the server-final-message ({@code v=<ServerSignature>}).
     *
     * @throws ScramException with {@code 28P01} if the proof is wrong, {@code 08P01} if the message is malformed
     */
    // client-final-message: c=base64(gs2-header [cbind-data]),r=nonce[,ext],p=base64(ClientProof)
    public byte[] handleClientFinal(byte[] clientFinalMessage) {
        requireState(State.EXPECT_CLIENT_FINAL);
        state = State.FAILED;
        String message = Scram.utf8(clientFinalMessage);
        int proofStart = message.lastIndexOf(",p=");
        if (proofStart < 0) {
            throw ScramException.malformed("malformed SCRAM message: no proof");
        }
        String withoutProof = message.substring(0, proofStart);
        List<Scram.Attribute> attributes = Scram.parseAttributes(withoutProof);
        checkChannelBinding(Scram.fromBase64(Scram.expect(attributes, 0, 'c'), "channel binding"));
        if (!nonce.equals(Scram.expect(attributes, 1, 'r'))) {
            throw ScramException.malformed("SCRAM nonce mismatch");
        }
        byte[] proof = Scram.fromBase64(message.substring(proofStart + 3), "proof");
        if (proof.length != 32) {
            throw ScramException.malformed("malformed SCRAM message: invalid ClientProof");
        }
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] clientSignature = Scram.hmac(verifier.storedKey(), authMessage);
        byte[] clientKey = Scram.xor(proof, clientSignature);
        if (mock || !MessageDigest.isEqual(Scram.sha256(clientKey), verifier.storedKey())) {
            throw ScramException.invalidProof("password authentication failed");
        }
        byte[] serverSignature = Scram.hmac(verifier.serverKey(), authMessage);
        this.clientKey = clientKey;
        state = State.DONE;
        return Scram.utf8("v=" + Scram.base64(serverSignature));
    }

    private void checkChannelBindingFlag(String mechanism, String flag) {
        boolean plus = Scram.MECHANISM_PLUS.equals(mechanism);
        if (flag.startsWith("p=")) {
            if (!plus) {
                throw ScramException.malformed("channel binding is used, but the client selected SCRAM-SHA-256");
            }
            if (!Scram.CHANNEL_BINDING_TYPE.equals(flag.substring(2))) {
                throw ScramException.malformed("unsupported SCRAM channel-binding type \"" + flag.substring(2) + "\"");
            }
        } else if (plus) {
            throw ScramException.malformed("channel binding is required by SCRAM-SHA-256-PLUS but not used");
        } else if (flag.equals("y")) {
            if (tlsServerEndPoint != null) {
                throw ScramException.malformed("SCRAM channel binding negotiation error");
            }
        } else if (!flag.equals("n")) {
            throw ScramException.malformed("malformed SCRAM message: invalid channel-binding flag");
        }
    }

    private void checkChannelBinding(byte[] binding) {
        byte[] header = gs2Header.getBytes(StandardCharsets.UTF_8);
        byte[] expected = header;
        if (gs2Header.startsWith("p=")) {
            expected = Arrays.copyOf(header, header.length + tlsServerEndPoint.length);
            System.arraycopy(tlsServerEndPoint, 0, expected, header.length, tlsServerEndPoint.length);
        }
        if (!MessageDigest.isEqual(expected, binding)) {
            throw ScramException.malformed("SCRAM channel binding check failed");
        }
    }

    private void requireState(State expected) {
        if (state != expected) {
            throw new IllegalStateException("SCRAM exchange expects " + expected + ", not this call");
        }
    }
}
