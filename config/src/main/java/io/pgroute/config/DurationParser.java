package io.pgroute.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses durations written as an integer and a unit: {@code 250ms}, {@code 5s}, {@code 10m}, {@code 1h},
 * {@code 2d}; a bare integer means seconds. Fractions and negative values are not accepted.
 */
final class DurationParser {

    /** What an operator may write, for error messages. */
    static final String EXPECTED = "must be a duration such as 250ms, 5s, 10m, 1h or 2d";

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h|d)?");

    private DurationParser() {
    }

    /** Returns the duration, or empty if {@code text} is not a duration or does not fit in a {@link Duration}. */
    static Optional<Duration> parse(String text) {
        Matcher matcher = FORMAT.matcher(text.strip());
        if (!matcher.matches()) {
            return Optional.empty();
        }
        long amount = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        try {
            return Optional.of(Duration.of(amount, unitOf(unit)));
        } catch (ArithmeticException e) {
            return Optional.empty();
        }
    }

    private static ChronoUnit unitOf(String unit) {
        return switch (unit) {
            case "ms" -> ChronoUnit.MILLIS;
            case "s" -> ChronoUnit.SECONDS;
            case "m" -> ChronoUnit.MINUTES;
            case "h" -> ChronoUnit.HOURS;
            case "d" -> ChronoUnit.DAYS;
            default -> throw new IllegalStateException("unit not in pattern: " + unit);
        };
    }
}
