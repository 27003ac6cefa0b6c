package io.pgroute.protocol.auth;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a SCRAM-SHA-256 client needs to log in without its password: the salt and iteration count the server stores,
 * the ClientKey (which a server recovers from a client's proof: ClientProof XOR HMAC(StoredKey, AuthMessage)) and
 * the ServerKey (to check the server's signature). A proxy that verified a client against the verifier the server
 * itself stores ({@code pg_authid.rolpassword}) can log in to that server as the client with these, as PgBouncer
 * does with the keys of its {@code auth_query} users. As secret as the password for that server: never logged.
 */
public final class ScramKeys {

    private final int iterations;
    private final byte[] salt;
    private final byte[] clientKey;
    private final byte[] serverKey;
    private final int hash;

    ScramKeys(int iterations, byte[] salt, byte[] clientKey, byte[] serverKey) {
        if (clientKey.length != 32 || serverKey.length != 32) {
            throw new IllegalArgumentException("ClientKey and ServerKey must have 32 bytes");
        }
        this.iterations = iterations;
        this.salt = salt.clone();
        this.clientKey = clientKey.clone();
        this.serverKey = serverKey.clone();
        this.hash = Objects.hash(iterations, Arrays.hashCode(this.salt), Arrays.hashCode(this.clientKey),
                Arrays.hashCode(this.serverKey));
    }

    /** The keys a client with {@code password} derives for a server storing this salt and iteration count. */
    public static ScramKeys fromPassword(String password, byte[] salt, int iterations) {
        byte[] saltedPassword = Scram.saltedPassword(SaslPrep.normalize(password), salt, iterations);
        return new ScramKeys(iterations, salt, Scram.hmac(saltedPassword, "Client Key"),
                Scram.hmac(saltedPassword, "Server Key"));
    }

    int iterations() {
        return iterations;
    }

    /** Whether a server announcing {@code serverSalt} and {@code serverIterations} stores the verifier these fit. */
    boolean fits(byte[] serverSalt, int serverIterations) {
        return serverIterations == iterations && Arrays.equals(serverSalt, salt);
    }

    byte[] clientKey() {
        return clientKey.clone();
    }

    byte[] serverKey() {
        return serverKey.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ScramKeys that && iterations == that.iterations && Arrays.equals(salt, that.salt)
                && MessageDigest.isEqual(clientKey, that.clientKey) && MessageDigest.isEqual(serverKey, that.serverKey);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** Never the keys. */
    @Override
    public String toString() {
        return "ScramKeys[iterations=" + iterations + ", salt=" + Scram.base64(salt) + ", keys=***]";
    }
}
