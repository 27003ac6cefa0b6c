package io.pgroute.proxy.cache;

import io.netty.channel.EventLoop;
import io.pgroute.proxy.cache.RedisCache.Settled;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * The settles of one database's writes on one event loop (docs/cache.md, "Invalidation", step 3), sent together: a
 * write is settled once the node monitor has a primary WAL position past its commit, which comes for all the writes
 * committed before one sample at once, so one script per sample and loop settles them all instead of one script per
 * write (and a timer per write polling for the sample). Confined to its event loop.
 */
public final class WriteSettler {

    /**
     * How long to wait for a commit's position before leaving its flux marks to expire: as long as they live, since
     * the position may come late (no primary sample yet, or an asynchronous commit not written yet: up to three
     * {@code wal_writer_delay}s), and a settle after they expired would be too late anyway.
     */
    static final long DEADLINE_NANOS = RedisCache.FLUX_LIFETIME.toNanos();
    private static final long POLL_MILLIS = 5;

    private final RedisCache redis;
    private final String database;
    private final EventLoop loop;
    private final ArrayDeque<Write> waiting = new ArrayDeque<>();
    private boolean drainPending;

    WriteSettler(RedisCache redis, String database, EventLoop loop) {
        this.redis = redis;
        this.database = database;
        this.loop = loop;
    }

    /**
     * A write that had begun {@code tables} (or everything) is over: committed at {@code commitNanos} (System.nanoTime)
     * or, {@code discarded}, rolled back. {@code watermarkAfter} gives the primary WAL position sampled after a time,
     * once there is one (a position of 0: none needed). Called on the loop.
     */
    public void settle(Collection<String> tables, boolean everything, boolean discarded, long commitNanos,
                       LongFunction<OptionalLong> watermarkAfter) {
        Write write = new Write(tables, everything, discarded, commitNanos, commitNanos + DEADLINE_NANOS,
                watermarkAfter);
        waiting.add(write);
        if (!drainPending) {
            drainPending = true;
            if (write.position().isPresent()) {
                loop.execute(this::drain);  // after what else this loop iteration settles
            } else {
                loop.schedule(this::drain, POLL_MILLIS, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** How many writes wait for a position (for tests). */
    int waiting() {
        return waiting.size();
    }

    private void drain() {
        drainPending = false;
        List<Settled> ready = new ArrayList<>();
        long now = System.nanoTime();
        for (Iterator<Write> each = waiting.iterator(); each.hasNext(); ) {
            Write write = each.next();
            OptionalLong position = write.position();
            if (position.isPresent()) {
                ready.add(new Settled(write.tables(), write.everything(), position.getAsLong()));
                each.remove();
            } else if (now - write.deadline() > 0) {
                each.remove();  // no primary sample: the flux marks expire on their own and fills resume then
            }
        }
        if (!ready.isEmpty()) {
            redis.settleWrites(database, ready);
        }
        if (!waiting.isEmpty()) {
            drainPending = true;
            loop.schedule(this::drain, POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private record Write(Collection<String> tables, boolean everything, boolean discarded, long commitNanos,
                         long deadline, LongFunction<OptionalLong> watermarkAfter) {

        OptionalLong position() {
            return discarded ? OptionalLong.of(0) : watermarkAfter.apply(commitNanos);
        }
    }
}
