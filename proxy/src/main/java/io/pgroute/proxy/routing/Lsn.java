package io.pgroute.proxy.routing;

import java.util.Locale;

/**
 * PostgreSQL WAL positions ({@code pg_lsn}) as {@code long}: the text form {@code 16/B374D848} is two 32-bit hex
 * halves, so the value is {@code (0x16 << 32) | 0xB374D848}. Real positions stay far below {@code 2^63}, so signed
 * comparison of the {@code long} values orders them; {@link #INVALID} (0, PostgreSQL's InvalidXLogRecPtr) is below
 * every real position.
 */
public final class Lsn {

    /** {@code 0/0}: no position, as PostgreSQL's {@code InvalidXLogRecPtr}. */
    public static final long INVALID = 0;

    private static final long LOW_MASK = 0xFFFF_FFFFL;

    private Lsn() {
    }

    /**
     * The position written as {@code hi/lo}, each one to eight hex digits.
     *
     * @throws IllegalArgumentException if {@code text} is not in that form
     */
    public static long parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash > 8 || slash == text.length() - 1 || text.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("not an LSN: " + text);
        }
        return (half(text, 0, slash) << 32) | half(text, slash + 1, text.length());
    }

    /** The text form, upper-case hex without leading zeros, as PostgreSQL prints it: {@code 16/B374D848}. */
    public static String format(long lsn) {
        String high = Long.toHexString(lsn >>> 32);
        String low = Long.toHexString(lsn & LOW_MASK);
        return (high + "/" + low).toUpperCase(Locale.ROOT);
    }

    private static long half(String text, int from, int to) {
        long result = 0;
        for (int i = from; i < to; i++) {
            int digit = Character.digit(text.charAt(i), 16);
            if (digit < 0) {
                throw new IllegalArgumentException("not an LSN: " + text);
            }
            result = (result << 4) | digit;
        }
        return result;
    }
}
