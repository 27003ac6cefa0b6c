package io.pgroute.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The client side of one SCRAM-SHA-256 exchange, for authenticating to a backend with a plaintext password, or
 * with the {@link ScramKeys} a client proved to pgroute when the server stores the same verifier (the salt and
 * iteration count it announces must be the keys'). Single use, not thread-safe.
 *
 * <pre>
 *   AuthenticationSASL         ─▶ SASLInitialResponse(mechanism(), clientFirst())
 *   AuthenticationSASLContinue ─▶ SASLResponse(handleServerFirst(data))
 *   AuthenticationSASLFinal    ─▶ verifyServerFinal(data), then AuthenticationOk
 * </pre>
 *
 * <p>Like libpq it sends an empty user name (the server uses the StartupMessage's). With a
 * {@code tlsServerEndPoint} (the hash of the backend's TLS certificate) it uses SCRAM-SHA-256-PLUS.
 */
public final class ScramClient {

    private enum State { INITIAL, EXPECT_SERVER_FIRST, EXPECT_SERVER_FINAL, DONE, FAILED }

    private final String user;
    private final String password;
    private final ScramKeys keys;
    private final byte[] tlsServerEndPoint;
    private final String clientNonce;

    private State state = State.INITIAL;
    private String clientFirstBare;
    private byte[] expectedServerSignature;

    public ScramClient(String password) {
        this(password, null);
    }

    /** With a non-null {@code tlsServerEndPoint}, binds the exchange to the TLS channel (SCRAM-SHA-256-PLUS). */
    public ScramClient(String password, byte[] tlsServerEndPoint) {
        this("", password, tlsServerEndPoint, Scram.newNonce());
    }

    /**
     * Logs in with {@code keys} instead of a password; the server must announce their salt and iteration count (else
     * {@link #handleServerFirst} fails). With a non-null {@code tlsServerEndPoint}, SCRAM-SHA-256-PLUS.
     */
    public ScramClient(ScramKeys keys, byte[] tlsServerEndPoint) {
        this("", null, Objects.requireNonNull(keys, "keys"), tlsServerEndPoint, Scram.newNonce());
    }

    ScramClient(String user, String password, byte[] tlsServerEndPoint, String clientNonce) {
        this(user, Objects.requireNonNull(password, "password"), null, tlsServerEndPoint, clientNonce);
    }

    private ScramClient(String user, String password, ScramKeys keys, byte[] tlsServerEndPoint, String clientNonce) {
        this.user = user;
        this.password = password;
        this.keys = keys;
        this.tlsServerEndPoint = tlsServerEndPoint == null ? null : tlsServerEndPoint.clone();
        this.clientNonce = clientNonce;
    }

    /** The mechanism to name in SASLInitialResponse. */
    public String mechanism() {
        return tlsServerEndPoint != null ? Scram.MECHANISM_PLUS : Scram.MECHANISM;
    }

    /** Whether {@code offered} (from AuthenticationSASL) contains {@link #mechanism()}. */
    public boolean supports(List<String> offered) {
        return offered.contains(mechanism());
    }

    /** Whether the server's signature was verified. */
    public boolean isComplete() {
        return state == State.DONE;
    }

    // client-first-message: gs2-header n=user,r=client-nonce
    public byte[] clientFirst() {
        requireState(State.INITIAL);
        clientFirstBare = "n=" + user.replace("=", "=3D").replace(",", "=2C") + ",r=" + clientNonce;
        state = State.EXPECT_SERVER_FIRST;
        return Scram.utf8(gs2Header() + clientFirstBare);
    }

    /** Handles the server-first-message and returns the client-final-message. */
    // server-first-message: r=client-nonce server-nonce,s=base64(salt),i=iterations[,ext]
    public byte[] handleServerFirst(byte[] serverFirstMessage) {
        requireState(State.EXPECT_SERVER_FIRST);
        state = State.FAILED;
        String serverFirst = Scram.utf8(serverFirstMessage);
        List<Scram.Attribute> attributes = Scram.parseAttributes(serverFirst);
        if (!attributes.isEmpty() && attributes.get(0).name() == 'm') {
            throw ScramException.malformed("server requires an unsupported SCRAM extension");
        }
        String nonce = Scram.expect(attributes, 0, 'r');
        if (!nonce.startsWith(clientNonce) || nonce.length() == clientNonce.length() || !Scram.isValidNonce(nonce)) {
            throw ScramException.malformed("invalid SCRAM response (nonce mismatch)");
        }
        byte[] salt = Scram.fromBase64(Scram.expect(attributes, 1, 's'), "salt");
        int iterations = parseIterations(Scram.expect(attributes, 2, 'i'));

        ScramKeys used = keys != null ? keys : ScramKeys.fromPassword(password, salt, iterations);
        if (!used.fits(salt, iterations)) {
            throw ScramException.invalidProof("the server's SCRAM secret for this role has another salt or iteration "
                    + "count than the scram_verifier pgroute checked the client with (the role's password was changed "
                    + "or the verifier copied from another server)");
        }
        byte[] clientKey = used.clientKey();
        byte[] storedKey = Scram.sha256(clientKey);
        byte[] serverKey = used.serverKey();
        // client-final-message: c=base64(gs2-header [cbind-data]),r=nonce,p=base64(ClientProof)
        String withoutProof = "c=" + Scram.base64(channelBinding()) + ",r=" + nonce;
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] proof = Scram.xor(clientKey, Scram.hmac(storedKey, authMessage));
        expectedServerSignature = Scram.hmac(serverKey, authMessage);
        state = State.EXPECT_SERVER_FINAL;
        return Scram.utf8(withoutProof + ",p=" + Scram.base64(proof));
    }

    /**
     * Checks the server-final-message.
     *
     * @throws ScramException if the server reports an error or its signature is wrong (it does not know the
     *     password: treat as a failed connection, never as authenticated)
     */
    // server-final-message: v=base64(ServerSignature) | e=error
    public void verifyServerFinal(byte[] serverFinalMessage) {
        requireState(State.EXPECT_SERVER_FINAL);
        state = State.FAILED;
        List<Scram.Attribute> attributes = Scram.parseAttributes(Scram.utf8(serverFinalMessage));
        if (attributes.get(0).name() == 'e') {
            throw ScramException.invalidProof("SCRAM authentication failed: " + attributes.get(0).value());
        }
        byte[] signature = Scram.fromBase64(Scram.expect(attributes, 0, 'v'), "server signature");
        if (!MessageDigest.isEqual(signature, expectedServerSignature)) {
            throw ScramException.invalidProof("incorrect server signature");
        }
        state = State.DONE;
    }

    private String gs2Header() {
        return tlsServerEndPoint != null ? "p=" + Scram.CHANNEL_BINDING_TYPE + ",," : "n,,";
    }

    private byte[] channelBinding() {
        byte[] header = gs2Header().getBytes(StandardCharsets.UTF_8);
        if (tlsServerEndPoint == null) {
            return header;
        }
        byte[] result = Arrays.copyOf(header, header.length + tlsServerEndPoint.length);
        System.arraycopy(tlsServerEndPoint, 0, result, header.length, tlsServerEndPoint.length);
        return result;
    }

    private static int parseIterations(String text) {
        try {
            int result = Integer.parseInt(text);
            if (result < 1) {
                throw ScramException.malformed("malformed SCRAM message: invalid iteration count");
            }
            return result;
        } catch (NumberFormatException e) {
            throw ScramException.malformed("malformed SCRAM message: invalid iteration count");
        }
    }

    private void requireState(State expected) {
        if (state != expected) {
            throw new IllegalStateException("SCRAM exchange expects " + expected + ", not this call");
        }
    }
}
