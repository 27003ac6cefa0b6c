package io.pgroute.proxy.routing;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A ring of recent primary WAL positions and when they were seen, for read-your-writes watermarks and replica lag
 * time. Each sample has two positions: how far the primary has <em>written</em> its WAL (what replicas can receive,
 * and what lag is measured against) and how far it has <em>inserted</em> it (an asynchronous commit is visible as soon
 * as its record is inserted, before it is written). Consecutive samples with the same positions share one entry
 * ({@code firstSeen} … {@code lastSeen}), so an idle primary uses one slot.
 *
 * <pre>
 *   seq:        0          1          2 (newest, lastSeen updated in place while the LSN stays)
 *   entry:  [lsn=A,t0..t0][lsn=B,t1..t3][lsn=C,t4..t9]
 *   firstAfter(t2) = B (seen at t3 > t2)      firstSeenAbove(A) = t1
 * </pre>
 *
 * <p>One writer (the primary's probe thread) calls {@link #add}; any thread may read. Entries are immutable and
 * published through an {@link AtomicReferenceArray} and a volatile count, so readers take no lock and allocate
 * nothing; a reader that meets a slot already overwritten by a newer entry treats it as too old, which only makes a
 * watermark a little higher (still correct) or a lag time a little smaller (bounded by the ring's span).
 */
final class PrimarySamples {

    private record Entry(long seq, long lsn, long inserted, long firstSeen, long lastSeen) {
    }

    private final AtomicReferenceArray<Entry> ring;
    private final int capacity;
    private volatile long count;

    PrimarySamples(int capacity) {
        if (capacity < 2) {
            throw new IllegalArgumentException("capacity must be at least 2: " + capacity);
        }
        this.capacity = capacity;
        this.ring = new AtomicReferenceArray<>(capacity);
    }

    /** Records that the primary had written its WAL up to {@code lsn} at {@code nanos}, and inserted as much. */
    void add(long lsn, long nanos) {
        add(lsn, lsn, nanos);
    }

    /**
     * Records that the primary had written its WAL up to {@code lsn} and inserted it up to {@code inserted} (not
     * below {@code lsn}) at {@code nanos}; positions and times never go backwards.
     */
    void add(long lsn, long inserted, long nanos) {
        long n = count;
        long top = Math.max(lsn, inserted);
        if (n > 0) {
            Entry newest = ring.get(slot(n - 1));
            if (newest.lsn() >= lsn && newest.inserted() >= top) {
                ring.set(slot(n - 1), new Entry(newest.seq(), newest.lsn(), newest.inserted(), newest.firstSeen(),
                        nanos));
                return;
            }
            lsn = Math.max(lsn, newest.lsn());
            top = Math.max(top, newest.inserted());
        }
        ring.set(slot(n), new Entry(n, lsn, top, nanos, nanos));
        count = n + 1;
    }

    /** The newest written position, or {@link Lsn#INVALID} before the first sample. */
    long latestLsn() {
        long n = count;
        return n == 0 ? Lsn.INVALID : ring.get(slot(n - 1)).lsn();
    }

    /** When the newest position was last seen, or 0 before the first sample. */
    long latestNanos() {
        long n = count;
        return n == 0 ? 0 : ring.get(slot(n - 1)).lastSeen();
    }

    /**
     * The lowest written position seen strictly after {@code nanos}, or {@link Lsn#INVALID} if no sample is that
     * recent. Usually answered by the newest entry; otherwise a binary search.
     */
    long firstAfter(long nanos) {
        long n = count;
        if (n == 0 || ring.get(slot(n - 1)).lastSeen() - nanos <= 0) {
            return Lsn.INVALID;
        }
        long found = lowestIndex(n, true, nanos);
        return ring.get(slot(found)).lsn();
    }

    /**
     * A position at least as new as anything the primary had made visible at {@code nanos}, which replicas can
     * reach: the inserted position of the first sample after that time once the primary has written that far (an
     * asynchronous commit is visible before it is written), else, once a sample at least {@code flushWithinNanos}
     * after that time exists (the WAL writer has written every asynchronous commit by then), the lower of that and
     * the sample's written position; {@link Lsn#INVALID} until one of them is known. So WAL inserted but not
     * written (a transaction still open) delays it at most {@code flushWithinNanos}.
     */
    long visibleAfter(long nanos, long flushWithinNanos) {
        long n = count;
        if (n == 0 || ring.get(slot(n - 1)).lastSeen() - nanos <= 0) {
            return Lsn.INVALID;
        }
        Entry first = ring.get(slot(lowestIndex(n, true, nanos)));
        Entry newest = ring.get(slot(n - 1));
        if (newest.lsn() >= first.inserted()) {
            return first.inserted();
        }
        long later = nanos + flushWithinNanos;
        if (newest.lastSeen() - later <= 0) {
            return Lsn.INVALID;
        }
        Entry written = ring.get(slot(lowestIndex(n, true, later)));
        return Math.min(first.inserted(), written.lsn());
    }

    /**
     * When the primary was first seen beyond {@code lsn}: the {@code firstSeen} of the oldest entry above it, the
     * oldest entry still in the ring if all are; or {@code -1} if no entry is above {@code lsn}.
     */
    long firstSeenAbove(long lsn) {
        long n = count;
        if (n == 0 || ring.get(slot(n - 1)).lsn() <= lsn) {
            return -1;
        }
        long found = lowestIndex(n, false, lsn);
        return ring.get(slot(found)).firstSeen();
    }

    /**
     * The lowest index in the ring whose entry is valid (not overwritten) and has {@code lastSeen > bound} (by time)
     * or {@code lsn > bound} (by position). The caller has checked that the newest entry qualifies.
     */
    private long lowestIndex(long n, boolean byTime, long bound) {
        long low = Math.max(0, n - capacity);
        long high = n - 1;
        while (low < high) {
            long middle = (low + high) >>> 1;
            Entry each = ring.get(slot(middle));
            boolean qualifies = each.seq() == middle
                    && (byTime ? each.lastSeen() - bound > 0 : each.lsn() > bound);
            if (qualifies) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        return low;
    }

    private int slot(long index) {
        return (int) (index % capacity);
    }
}
