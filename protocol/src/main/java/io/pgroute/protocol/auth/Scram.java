package io.pgroute.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** SCRAM-SHA-256 primitives (RFC 5802, RFC 7677) and message attribute parsing shared by client and server. */
final class Scram {

    static final String MECHANISM = "SCRAM-SHA-256";
    static final String MECHANISM_PLUS = "SCRAM-SHA-256-PLUS";
    static final String CHANNEL_BINDING_TYPE = "tls-server-end-point";
    static final int DEFAULT_ITERATIONS = 4096;
    static final int DEFAULT_SALT_LENGTH = 16;
    static final int NONCE_RANDOM_BYTES = 18;
    static final SecureRandom RANDOM = new SecureRandom();

    private Scram() {
    }

    /** One {@code a=value} attribute of a SCRAM message. */
    record Attribute(char name, String value) {
    }

    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    static byte[] hmac(byte[] key, String data) {
        return hmac(key, data.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** Hi(password, salt, i): PBKDF2 with HMAC-SHA-256 and one output block. */
    static byte[] saltedPassword(byte[] password, byte[] salt, int iterations) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(password, "HmacSHA256"));
            mac.update(salt);
            byte[] previous = mac.doFinal(new byte[] {0, 0, 0, 1});
            byte[] result = previous.clone();
            for (int i = 1; i < iterations; i++) {
                previous = mac.doFinal(previous);
                for (int j = 0; j < result.length; j++) {
                    result[j] ^= previous[j];
                }
            }
            return result;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    static byte[] xor(byte[] left, byte[] right) {
        byte[] result = new byte[left.length];
        for (int i = 0; i < result.length; i++) {
            result[i] = (byte) (left[i] ^ right[i]);
        }
        return result;
    }

    static String base64(byte[] data) {
        return Base64.getEncoder().encodeToString(data);
    }

    static byte[] fromBase64(String text, String what) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw ScramException.malformed("malformed SCRAM message: invalid base64 in " + what);
        }
    }

    static String newNonce() {
        byte[] random = new byte[NONCE_RANDOM_BYTES];
        RANDOM.nextBytes(random);
        return base64(random);
    }

    static boolean isValidNonce(String nonce) {
        if (nonce.isEmpty()) {
            return false;
        }
        for (int i = 0; i < nonce.length(); i++) {
            char each = nonce.charAt(i);
            if (each < 0x21 || each > 0x7E || each == ',') {
                return false;
            }
        }
        return true;
    }

    /** Splits {@code a=value,b=value} into attributes; values here never contain commas. */
    static List<Attribute> parseAttributes(String message) {
        List<Attribute> result = new ArrayList<>();
        for (String each : message.split(",", -1)) {
            if (each.length() < 2 || each.charAt(1) != '=' || !isAttributeName(each.charAt(0))) {
                throw ScramException.malformed("malformed SCRAM message: expected attribute, found \"" + each + "\"");
            }
            result.add(new Attribute(each.charAt(0), each.substring(2)));
        }
        return result;
    }

    /** The value of the attribute at {@code index}, which must be named {@code name}. */
    static String expect(List<Attribute> attributes, int index, char name) {
        if (index >= attributes.size() || attributes.get(index).name() != name) {
            throw ScramException.malformed("malformed SCRAM message: expected attribute \"" + name + "\"");
        }
        return attributes.get(index).value();
    }

    static String utf8(byte[] message) {
        return new String(message, StandardCharsets.UTF_8);
    }

    static byte[] utf8(String message) {
        return message.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean isAttributeName(char name) {
        return name >= 'a' && name <= 'z' || name >= 'A' && name <= 'Z';
    }
}
