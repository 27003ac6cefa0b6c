package io.pgroute.config;

import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The check of {@code users.<name>.scram_verifier} when the configuration is read: PostgreSQL's
 * {@code pg_authid.rolpassword} format, {@code SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64
 * ServerKey>}, with a positive iteration count, a salt and 32-byte keys. The proxy parses the verifier it checks
 * with {@code io.pgroute.protocol.auth.ScramVerifier}, which accepts every text this accepts; the configuration
 * module keeps only the check, so that it does not depend on the protocol module.
 */
final class ScramVerifierFormat {

    /** How a verifier is written, for error messages. */
    static final String DESCRIPTION = "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>";

    private static final int KEY_LENGTH = 32;
    private static final Pattern FORMAT =
            Pattern.compile("SCRAM-SHA-256\\$(\\d{1,9}):([A-Za-z0-9+/=]+)\\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)");

    private ScramVerifierFormat() {
    }

    /** Whether {@code text} is a well-formed SCRAM-SHA-256 verifier. */
    static boolean isValid(String text) {
        Matcher matcher = FORMAT.matcher(text);
        if (!matcher.matches() || Integer.parseInt(matcher.group(1)) < 1) {
            return false;
        }
        try {
            Base64.Decoder decoder = Base64.getDecoder();
            return decoder.decode(matcher.group(2)).length > 0 && decoder.decode(matcher.group(3)).length == KEY_LENGTH
                    && decoder.decode(matcher.group(4)).length == KEY_LENGTH;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
