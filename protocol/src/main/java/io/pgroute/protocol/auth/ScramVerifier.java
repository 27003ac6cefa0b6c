package io.pgroute.protocol.auth;

import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A stored SCRAM-SHA-256 secret, as PostgreSQL keeps it in {@code pg_authid.rolpassword}:
 * {@code SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>}. It lets a server verify
 * a client without knowing the password.
 */
public record ScramVerifier(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {

    private static final String PREFIX = Scram.MECHANISM + "$";

    public ScramVerifier {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be positive: " + iterations);
        }
        Objects.requireNonNull(salt, "salt");
        if (storedKey.length != 32 || serverKey.length != 32) {
            throw new IllegalArgumentException("StoredKey and ServerKey must have 32 bytes");
        }
    }

    /** Whether {@code secret} looks like a SCRAM-SHA-256 verifier (rather than an md5 hash or a plaintext). */
    public static boolean isVerifier(String secret) {
        return secret != null && secret.startsWith(PREFIX);
    }

    /** Parses the {@code pg_authid} format; throws {@link IllegalArgumentException} if it is not one. */
    public static ScramVerifier parse(String secret) {
        if (!isVerifier(secret)) {
            throw new IllegalArgumentException("not a SCRAM-SHA-256 verifier");
        }
        String[] parts = secret.substring(PREFIX.length()).split("\\$", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("malformed SCRAM-SHA-256 verifier");
        }
        String[] iterationsAndSalt = parts[0].split(":", -1);
        String[] keys = parts[1].split(":", -1);
        if (iterationsAndSalt.length != 2 || keys.length != 2) {
            throw new IllegalArgumentException("malformed SCRAM-SHA-256 verifier");
        }
        try {
            return new ScramVerifier(Integer.parseInt(iterationsAndSalt[0]), decode(iterationsAndSalt[1]),
                    decode(keys[0]), decode(keys[1]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed SCRAM-SHA-256 verifier: bad iteration count", e);
        }
    }

    /** Derives the verifier for {@code password} (SASLprep-normalized as PostgreSQL does). */
    public static ScramVerifier fromPassword(String password, byte[] salt, int iterations) {
        byte[] saltedPassword = Scram.saltedPassword(SaslPrep.normalize(password), salt, iterations);
        byte[] clientKey = Scram.hmac(saltedPassword, "Client Key");
        return new ScramVerifier(iterations, salt.clone(), Scram.sha256(clientKey),
                Scram.hmac(saltedPassword, "Server Key"));
    }

    /** Derives the verifier for {@code password} with a random 16-byte salt and 4096 iterations, like PostgreSQL. */
    public static ScramVerifier fromPassword(String password) {
        byte[] salt = new byte[Scram.DEFAULT_SALT_LENGTH];
        Scram.RANDOM.nextBytes(salt);
        return fromPassword(password, salt, Scram.DEFAULT_ITERATIONS);
    }

    private static byte[] decode(String base64) {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed SCRAM-SHA-256 verifier: bad base64", e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ScramVerifier that && iterations == that.iterations && Arrays.equals(salt, that.salt)
                && Arrays.equals(storedKey, that.storedKey) && Arrays.equals(serverKey, that.serverKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(iterations, Arrays.hashCode(salt), Arrays.hashCode(storedKey),
                Arrays.hashCode(serverKey));
    }

    /** The {@code pg_authid} format, which {@link #parse} reads back: as secret as the password. */
    public String encoded() {
        return PREFIX + iterations + ":" + Scram.base64(salt) + "$" + Scram.base64(storedKey) + ":"
                + Scram.base64(serverKey);
    }

    /** The iteration count only: the keys let anyone log in as the user (through SCRAM passthrough, to the servers). */
    @Override
    public String toString() {
        return "ScramVerifier[iterations=" + iterations + ", keys=***]";
    }
}
