package io.pgroute.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * PostgreSQL's MD5 password scheme. The stored form is {@code "md5" + hex(md5(password + user))}; in answer to
 * AuthenticationMD5Password the client sends {@code "md5" + hex(md5(hex(md5(password + user)) + salt))}.
 */
public final class Md5Password {

    private static final String PREFIX = "md5";
    private static final int HASH_LENGTH = PREFIX.length() + 32;

    private Md5Password() {
    }

    /** Whether {@code secret} is a stored md5 hash rather than a plaintext or SCRAM verifier. */
    public static boolean isMd5Hash(String secret) {
        return secret != null && secret.length() == HASH_LENGTH && secret.startsWith(PREFIX)
                && secret.substring(PREFIX.length()).chars().allMatch(each -> Character.digit(each, 16) >= 0);
    }

    /** The stored form, as in {@code pg_authid}: {@code "md5" + hex(md5(password + user))}. */
    public static String stored(String user, String password) {
        return PREFIX + md5Hex((password + user).getBytes(StandardCharsets.UTF_8));
    }

    /** The PasswordMessage a client sends for this user, password and salt. */
    public static String hash(String user, String password, byte[] salt) {
        return hashStored(stored(user, password), salt);
    }

    /** The PasswordMessage a client sends, from the stored form (which is all a server needs to know). */
    public static String hashStored(String storedHash, byte[] salt) {
        if (!isMd5Hash(storedHash)) {
            throw new IllegalArgumentException("not an md5 password hash");
        }
        byte[] hex = storedHash.substring(PREFIX.length()).getBytes(StandardCharsets.US_ASCII);
        byte[] salted = new byte[hex.length + salt.length];
        System.arraycopy(hex, 0, salted, 0, hex.length);
        System.arraycopy(salt, 0, salted, hex.length, salt.length);
        return PREFIX + md5Hex(salted);
    }

    /** Whether a client's PasswordMessage matches the stored hash and salt (constant time). */
    public static boolean verify(String storedHash, byte[] salt, String clientResponse) {
        byte[] expected = hashStored(storedHash, salt).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, clientResponse.getBytes(StandardCharsets.UTF_8));
    }

    private static String md5Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is not available", e);
        }
    }
}
