package io.pgroute.proxy.cache;

import io.pgroute.proxy.cache.ResultCache.ReadPlan;
import io.pgroute.proxy.sql.StatementInfo;

import java.util.Arrays;
import java.util.Optional;

/**
 * {@link ResultCache#plan}, kept for the last {@link #SIZE} classifications it was asked about (by identity: every
 * text of a shape shares one) while {@link ResultCache#planGeneration} stays the same. A plan reads the configuration
 * and the catalogs table by table: made for every execution it was 3 % of pgroute's user time under {@code pgbench -S}
 * with the cache on. One per session, confined to its event loop.
 */
public final class PlanMemo {

    static final int SIZE = 8;

    private record Entry(StatementInfo statement, Optional<ReadPlan> plan) {
    }

    private final ResultCache cache;
    private final String database;
    private final Entry[] entries = new Entry[SIZE];
    private long generation = -1;
    private int next;

    public PlanMemo(ResultCache cache, String database) {
        this.cache = cache;
        this.database = database;
    }

    /** {@link ResultCache#plan} of {@code statement} in the database. */
    public Optional<ReadPlan> plan(StatementInfo statement) {
        long current = cache.planGeneration();
        if (current != generation) {
            Arrays.fill(entries, null);
            generation = current;
        }
        for (Entry each : entries) {
            if (each != null && each.statement() == statement) {
                return each.plan();
            }
        }
        Optional<ReadPlan> result = cache.plan(database, statement);
        entries[next] = new Entry(statement, result);
        next = (next + 1) % SIZE;
        return result;
    }
}
