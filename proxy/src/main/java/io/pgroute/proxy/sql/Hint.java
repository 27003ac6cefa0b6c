package io.pgroute.proxy.sql;

/**
 * A routing hint from the statement's leading comments, e.g. {@code /* pgroute: replica *&#47;}.
 *
 * <p>{@link #PRIMARY} and {@link #REPLICA} win over {@link #NOCACHE} when several are given;
 * {@link StatementInfo#noCache()} tells whether {@code nocache} was present in any case.
 */
public enum Hint {
    /** No hint. */
    NONE,
    /** {@code pgroute: primary}. */
    PRIMARY,
    /** {@code pgroute: replica}. */
    REPLICA,
    /** {@code pgroute: nocache} (and no routing hint). */
    NOCACHE
}
