package io.pgroute.proxy.cache;

import io.pgroute.proxy.cache.ResultCache.ReadPlan;
import io.pgroute.proxy.sql.ShapeMemo;
import io.pgroute.proxy.sql.StatementInfo;

import java.util.Optional;

/**
 * {@link ResultCache#plan}, kept for the session's last statement shapes ({@link ShapeMemo}) while
 * {@link ResultCache#planGeneration} stays the same. A plan reads the configuration and the catalogs table by table:
 * made for every execution it was 3 % of pgroute's user time under {@code pgbench -S} with the cache on. One per
 * session, confined to its event loop.
 */
public final class PlanMemo {

    static final int SIZE = ShapeMemo.SIZE;

    private final ResultCache cache;
    private final String database;
    private final ShapeMemo<Optional<ReadPlan>> plans = new ShapeMemo<>();
    /** Made once: a lambda capturing the fields, built at each call, would be an allocation per statement. */
    private final java.util.function.Function<StatementInfo, Optional<ReadPlan>> make;
    private long generation = -1;

    public PlanMemo(ResultCache cache, String database) {
        this.cache = cache;
        this.database = database;
        this.make = each -> cache.plan(database, each);
    }

    /** {@link ResultCache#plan} of {@code statement} in the database. */
    public Optional<ReadPlan> plan(StatementInfo statement) {
        long current = cache.planGeneration();
        if (current != generation) {
            plans.clear();
            generation = current;
        }
        return plans.get(statement, make);
    }
}
