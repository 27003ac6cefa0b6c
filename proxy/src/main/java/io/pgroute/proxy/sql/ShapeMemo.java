package io.pgroute.proxy.sql;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Something worked out from a classification, kept for the last {@link #SIZE} classifications it was worked out for
 * (first in, first out), found by identity: every text of a statement shape shares one {@link StatementInfo} (they differ only in literals and
 * comments), so a session running a few shapes over and over works each out once. One per session, confined to its
 * event loop; a linear scan of a few references costs less than hashing a statement.
 *
 * @param <V> what is kept per classification
 */
public final class ShapeMemo<V> {

    public static final int SIZE = 8;

    private final StatementInfo[] statements = new StatementInfo[SIZE];
    private final Object[] values = new Object[SIZE];
    private int next;

    /** What {@code compute} gives for {@code statement}, computed only when it is not among the last kept. */
    @SuppressWarnings("unchecked")
    public V get(StatementInfo statement, Function<StatementInfo, V> compute) {
        for (int i = 0; i < SIZE; i++) {
            if (statements[i] == statement) {
                return (V) values[i];
            }
        }
        V result = compute.apply(statement);
        statements[next] = statement;
        values[next] = result;
        next = (next + 1) % SIZE;
        return result;
    }

    /** Forgets everything kept (what it was computed from has changed). */
    public void clear() {
        Arrays.fill(statements, null);
        Arrays.fill(values, null);
    }
}
