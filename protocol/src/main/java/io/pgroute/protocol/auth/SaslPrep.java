package io.pgroute.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;

/**
 * SASLprep (RFC 4013) of a password, with PostgreSQL's leniency: a pure-ASCII password is used as it is, and a
 * password that SASLprep rejects (prohibited characters, bad bidirectional text) is used as its raw UTF-8 bytes
 * instead of failing, as {@code pg_saslprep} and its callers do. Character classes come from the JDK's Unicode
 * tables, close to but not exactly RFC 3454's Unicode 3.2.
 */
final class SaslPrep {

    private SaslPrep() {
    }

    /** The bytes to use as the SCRAM password. */
    static byte[] normalize(String password) {
        if (isAscii(password)) {
            return password.getBytes(StandardCharsets.US_ASCII);
        }
        String prepared = prepare(password);
        return (prepared != null ? prepared : password).getBytes(StandardCharsets.UTF_8);
    }

    /** The SASLprep'd string, or {@code null} if it contains prohibited output. */
    static String prepare(String input) {
        StringBuilder mapped = new StringBuilder(input.length());
        input.codePoints().forEach(each -> {
            if (isNonAsciiSpace(each)) {
                mapped.append(' ');
            } else if (!isMappedToNothing(each)) {
                mapped.appendCodePoint(each);
            }
        });
        String result = Normalizer.normalize(mapped, Normalizer.Form.NFKC);
        if (result.isEmpty() || result.codePoints().anyMatch(SaslPrep::isProhibited) || !isValidBidi(result)) {
            return null;
        }
        return result;
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0x7F) {
                return false;
            }
        }
        return true;
    }

    // RFC 3454 C.1.2
    private static boolean isNonAsciiSpace(int c) {
        return c == 0x00A0 || c == 0x1680 || c >= 0x2000 && c <= 0x200B || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    // RFC 3454 B.1
    private static boolean isMappedToNothing(int c) {
        return c == 0x00AD || c == 0x034F || c == 0x1806 || c >= 0x180B && c <= 0x180D || c >= 0x200B && c <= 0x200D
                || c == 0x2060 || c >= 0xFE00 && c <= 0xFE0F || c == 0xFEFF;
    }

    // RFC 3454 C.1.2, C.2.1, C.2.2, C.3 to C.9, A.1 (approximated by the JDK's Unicode tables)
    private static boolean isProhibited(int c) {
        if (isNonAsciiSpace(c) || c >= 0xFDD0 && c <= 0xFDEF || (c & 0xFFFE) == 0xFFFE) {
            return true;
        }
        if (c >= 0xFFF9 && c <= 0xFFFD || c >= 0x2FF0 && c <= 0x2FFB || c == 0x0340 || c == 0x0341
                || c == 0x200E || c == 0x200F || c >= 0x202A && c <= 0x202E || c >= 0x206A && c <= 0x206F
                || c == 0xE0001 || c >= 0xE0020 && c <= 0xE007F || c >= 0x2060 && c <= 0x2063 || c == 0x06DD
                || c == 0x070F || c == 0x180E || c == 0x200C || c == 0x200D || c == 0x2028 || c == 0x2029
                || c >= 0x1D173 && c <= 0x1D17A) {
            return true;
        }
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.PRIVATE_USE || type == Character.SURROGATE
                || type == Character.UNASSIGNED;
    }

    // RFC 3454 section 6
    private static boolean isValidBidi(String text) {
        boolean hasRandAL = text.codePoints().anyMatch(SaslPrep::isRandAL);
        if (!hasRandAL) {
            return true;
        }
        boolean hasL = text.codePoints().anyMatch(each ->
                Character.getDirectionality(each) == Character.DIRECTIONALITY_LEFT_TO_RIGHT);
        return !hasL && isRandAL(text.codePointAt(0)) && isRandAL(text.codePointBefore(text.length()));
    }

    private static boolean isRandAL(int c) {
        byte direction = Character.getDirectionality(c);
        return direction == Character.DIRECTIONALITY_RIGHT_TO_LEFT
                || direction == Character.DIRECTIONALITY_RIGHT_TO_LEFT_ARABIC;
    }
}
