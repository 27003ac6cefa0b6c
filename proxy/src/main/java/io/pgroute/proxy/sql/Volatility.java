package io.pgroute.proxy.sql;

/** A function's volatility as {@code pg_proc.provolatile} records it, or {@link #UNKNOWN}. */
public enum Volatility {
    /** 'i': same result for the same arguments, forever. Cacheable. */
    IMMUTABLE,
    /** 's': same result within one statement. Safe on a standby, not cacheable. */
    STABLE,
    /** 'v': may have side effects. Primary, unless allow-listed. */
    VOLATILE,
    /** Not in the catalog. Primary. */
    UNKNOWN;

    /** The more volatile of the two (UNKNOWN counts as the most volatile). */
    public Volatility max(Volatility other) {
        return other.ordinal() > ordinal() ? other : this;
    }

    /** Maps {@code pg_proc.provolatile}. */
    public static Volatility ofCode(String code) {
        if (code == null || code.length() != 1) {
            return UNKNOWN;
        }
        return switch (code.charAt(0)) {
            case 'i' -> IMMUTABLE;
            case 's' -> STABLE;
            case 'v' -> VOLATILE;
            default -> UNKNOWN;
        };
    }
}
