package io.pgroute.proxy.routing;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When writes acknowledged by any session of one database were acknowledged ({@link System#nanoTime}), per table
 * version key, for {@code consistency: global}: a read of some tables waits for the watermark of the newest write
 * that reached one of them, a read pgroute cannot tie to tables for the newest write of all.
 *
 * <pre>
 *   write of {accounts}       --> tables[accounts] = t1, any = t1
 *   write of tables unknown   --> everything = t2, any = t2
 *   read of {branches}        --> max(everything, tables[branches])   (0: no write to wait for)
 *   read of tables unknown    --> any
 * </pre>
 *
 * <p>Also what one session was shown by the primary, for its monotonic reads. Bounded: once {@code capacity}
 * names have marks, a write to another name raises {@code everything}
 * instead, which only makes reads wait for more. Thread-safe; marks only move forward.
 */
public final class WriteMarks {

    static final int MAX_TABLES = 10_000;

    private final int capacity;
    /** Each table's mark, raised in place: a write to a table already marked is a map read and a compare-and-set. */
    private final Map<String, AtomicLong> tables = new ConcurrentHashMap<>();
    private final AtomicLong everything = new AtomicLong();
    private final AtomicLong any = new AtomicLong();

    /** Marks for up to {@link #MAX_TABLES} tables. */
    public WriteMarks() {
        this(MAX_TABLES);
    }

    /** Marks for up to {@code capacity} tables. */
    public WriteMarks(int capacity) {
        this.capacity = capacity;
    }

    /** A write that reached {@code reached} (version keys) was acknowledged at {@code nanos}. */
    public void wrote(Collection<String> reached, long nanos) {
        for (String each : reached) {
            AtomicLong mark = tables.get(each);
            if (mark == null) {
                if (tables.size() >= capacity) {
                    raise(everything, nanos);  // no room for its own mark: every read waits for this write
                    continue;
                }
                mark = tables.computeIfAbsent(each, name -> new AtomicLong());
            }
            raise(mark, nanos);
        }
        raise(any, nanos);
    }

    /** A write whose tables are unknown was acknowledged at {@code nanos}: every read waits for it. */
    public void wroteAnything(long nanos) {
        raise(everything, nanos);
        raise(any, nanos);
    }

    /**
     * When the newest write that may have reached one of {@code read} (version keys) was acknowledged; 0: none.
     * {@code read} null (tables not known): {@link #newest()}.
     */
    public long newestFor(Collection<String> read) {
        if (read == null) {
            return newest();
        }
        long result = everything.get();
        for (String each : read) {
            AtomicLong mark = tables.get(each);
            long at = mark == null ? 0 : mark.get();
            if (at != 0 && (result == 0 || at - result > 0)) {
                result = at;
            }
        }
        return result;
    }

    /** When the newest write of all was acknowledged; 0: none. */
    public long newest() {
        return any.get();
    }

    private static void raise(AtomicLong mark, long nanos) {
        long seen = mark.get();
        while ((seen == 0 || nanos - seen > 0) && !mark.compareAndSet(seen, nanos)) {
            seen = mark.get();
        }
    }
}
