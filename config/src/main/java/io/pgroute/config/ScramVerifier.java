package io.pgroute.config;

import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A SCRAM-SHA-256 verifier as stored by PostgreSQL in {@code pg_authid.rolpassword}:
 * {@code SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>}. It lets pgroute
 * authenticate clients without knowing their password. Arrays are copied in and out, so instances are immutable.
 *
 * @param iterations PBKDF2 iteration count, at least 1
 * @param salt the salt, not empty
 * @param storedKey H(ClientKey), 32 bytes
 * @param serverKey HMAC(SaltedPassword, "Server Key"), 32 bytes
 */
public record ScramVerifier(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {

    /** How a verifier is written, for error messages. */
    public static final String FORMAT_DESCRIPTION = "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>";

    private static final int KEY_LENGTH = 32;
    private static final Pattern FORMAT =
            Pattern.compile("SCRAM-SHA-256\\$(\\d{1,9}):([A-Za-z0-9+/=]+)\\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)");

    /** Checks and copies the components. */
    public ScramVerifier {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be at least 1");
        }
        if (salt.length == 0 || storedKey.length != KEY_LENGTH || serverKey.length != KEY_LENGTH) {
            throw new IllegalArgumentException("salt must not be empty and keys must be 32 bytes");
        }
        salt = salt.clone();
        storedKey = storedKey.clone();
        serverKey = serverKey.clone();
    }

    /**
     * Parses a verifier.
     *
     * @throws IllegalArgumentException if {@code text} is not a well-formed SCRAM-SHA-256 verifier
     */
    public static ScramVerifier parse(String text) {
        Matcher matcher = FORMAT.matcher(Objects.requireNonNull(text, "text"));
        if (!matcher.matches()) {
            throw new IllegalArgumentException("must be " + FORMAT_DESCRIPTION);
        }
        Base64.Decoder decoder = Base64.getDecoder();
        return new ScramVerifier(Integer.parseInt(matcher.group(1)), decoder.decode(matcher.group(2)),
                decoder.decode(matcher.group(3)), decoder.decode(matcher.group(4)));
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] storedKey() {
        return storedKey.clone();
    }

    @Override
    public byte[] serverKey() {
        return serverKey.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ScramVerifier that && iterations == that.iterations && Arrays.equals(salt, that.salt)
                && Arrays.equals(storedKey, that.storedKey) && Arrays.equals(serverKey, that.serverKey);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * iterations + Arrays.hashCode(salt)) + Arrays.hashCode(storedKey))
                + Arrays.hashCode(serverKey);
    }

    /** Shows the iteration count only: the keys are as good as a password against this proxy. */
    @Override
    public String toString() {
        return "ScramVerifier[iterations=" + iterations + ", keys=***]";
    }
}
