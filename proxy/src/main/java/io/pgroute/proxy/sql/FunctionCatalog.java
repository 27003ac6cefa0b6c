package io.pgroute.proxy.sql;

/**
 * What the classifier needs to know about the database's functions (and a few relations).
 *
 * <p>Names are normalized as in {@link StatementInfo}: {@code "nextval"}, {@code "myschema.f"}. An unqualified
 * name stands for every function of that name in any schema; implementations answer with the most volatile.
 */
public interface FunctionCatalog {

    /** Volatility of the function, {@link Volatility#UNKNOWN} when not known. */
    Volatility volatility(String normalizedName);

    /**
     * Whether reading this relation must happen on the primary: UNLOGGED tables (unreadable during recovery,
     * 0A000) and sequences (a standby shows values ahead of the primary). Default: nothing known.
     */
    default boolean isPrimaryOnlyRelation(String normalizedName) {
        return false;
    }
}
