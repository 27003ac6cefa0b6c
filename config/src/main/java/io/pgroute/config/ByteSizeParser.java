package io.pgroute.config;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses byte sizes: a bare integer is bytes; {@code kB}, {@code MB} and {@code GB} are powers of 1024 as in
 * PostgreSQL's own configuration, and so are {@code KiB}, {@code MiB} and {@code GiB}. {@code B} is also accepted.
 * Units are case-sensitive, like PostgreSQL's.
 */
final class ByteSizeParser {

    /** What an operator may write, for error messages. */
    static final String EXPECTED = "must be a size such as 65536, 512kB, 64MiB or 1GiB";

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,19})\\s*(B|kB|KiB|MB|MiB|GB|GiB)?");

    private ByteSizeParser() {
    }

    /** Returns the number of bytes, or empty if {@code text} is not a size or does not fit in a {@code long}. */
    static OptionalLong parse(String text) {
        Matcher matcher = FORMAT.matcher(text.strip());
        if (!matcher.matches()) {
            return OptionalLong.empty();
        }
        try {
            long amount = Long.parseLong(matcher.group(1));
            return OptionalLong.of(Math.multiplyExact(amount, multiplier(matcher.group(2))));
        } catch (NumberFormatException | ArithmeticException e) {
            return OptionalLong.empty();
        }
    }

    private static long multiplier(String unit) {
        if (unit == null) {
            return 1;
        }
        return switch (unit) {
            case "B" -> 1;
            case "kB", "KiB" -> 1L << 10;
            case "MB", "MiB" -> 1L << 20;
            case "GB", "GiB" -> 1L << 30;
            default -> throw new IllegalStateException("unit not in pattern: " + unit);
        };
    }
}
