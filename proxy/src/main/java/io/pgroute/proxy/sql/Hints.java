package io.pgroute.proxy.sql;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Hints given in the leading comments of a SQL text: {@code /* pgroute: primary *&#47;},
 * {@code /* pgroute: replica, nocache *&#47;}, {@code -- pgroute: cache ttl=30s}.
 *
 * @param hint     routing hint
 * @param noCache  {@code nocache} was given
 * @param cacheTtl {@code ttl=…} was given (units ms, s, m, h; bare number = seconds)
 */
public record Hints(Hint hint, boolean noCache, Optional<Duration> cacheTtl) {

    /** No hint at all. */
    public static final Hints NONE = new Hints(Hint.NONE, false, Optional.empty());

    private static final String PREFIX = "pgroute:";

    /** Adds the hints in one comment body (without delimiters); other comments leave this unchanged. */
    Hints withComment(String body) {
        String text = body.strip();
        if (!text.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return this;
        }
        Hint route = hint;
        boolean nocache = noCache;
        Optional<Duration> ttl = cacheTtl;
        for (String each : text.substring(PREFIX.length()).toLowerCase(Locale.ROOT).split("[,\\s]+")) {
            switch (each) {
                case "primary" -> route = Hint.PRIMARY;
                case "replica" -> route = Hint.REPLICA;
                case "nocache" -> nocache = true;
                default -> ttl = each.startsWith("ttl=") ? parseTtl(each.substring(4)).or(() -> cacheTtl) : ttl;
            }
        }
        if (route == Hint.NONE && nocache) {
            route = Hint.NOCACHE;
        }
        return new Hints(route, nocache, ttl);
    }

    /**
     * The hints as one canonical comment ({@code /* pgroute: primary nocache ttl=30000ms *&#47;}), empty for none:
     * equal hints render equally, different hints differently, so the rendering can stand in a cache key.
     */
    String render() {
        if (this == NONE || equals(NONE)) {  // NONE itself for nearly every statement: no record equals then
            return "";
        }
        StringBuilder result = new StringBuilder("/* pgroute:");
        if (hint == Hint.PRIMARY || hint == Hint.REPLICA) {
            result.append(hint == Hint.PRIMARY ? " primary" : " replica");
        }
        if (noCache) {
            result.append(" nocache");
        }
        cacheTtl.ifPresent(ttl -> result.append(" ttl=").append(ttl.toMillis()).append("ms"));
        return result.append(" */").toString();
    }

    private static Optional<Duration> parseTtl(String text) {
        int digits = 0;
        while (digits < text.length() && Character.isDigit(text.charAt(digits))) {
            digits++;
        }
        if (digits == 0 || digits > 9) {
            return Optional.empty();
        }
        long amount = Long.parseLong(text.substring(0, digits));
        return switch (text.substring(digits)) {
            case "", "s" -> Optional.of(Duration.ofSeconds(amount));
            case "ms" -> Optional.of(Duration.ofMillis(amount));
            case "m", "min" -> Optional.of(Duration.ofMinutes(amount));
            case "h" -> Optional.of(Duration.ofHours(amount));
            default -> Optional.empty();
        };
    }
}
