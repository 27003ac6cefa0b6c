package io.pgroute.proxy.backend;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The connections every pool of one event loop holds to one server, counted together against the loop's share of
 * {@code pool.size}. Pools are kept per role and per set of the client startup parameters pgroute does not replay
 * ({@code options}, rare settings; see {@link SessionSettings#replayed}), so that {@code RESET} returns a client to
 * what it connected with, and without this count each of them could open its own {@code pool.size}: clients with
 * twenty different {@code options} would open twenty pools' worth of connections and run the server out of
 * {@code max_connections}. With it, a pool that needs a connection when the server's budget is
 * spent has its idle connection elsewhere closed to make room, or waits for one of the others to come back.
 *
 * <p>Confined to its event loop, like its pools: no locks. The pools' reserve connections (for requests that only
 * prepare) are not counted, as they are not counted in their pools.
 */
final class ServerBudget {

    private final List<BackendPool> pools = new ArrayList<>(2);
    /** Pools with a lease waiting because the budget was spent, in the order they started to wait. */
    private final Deque<BackendPool> starving = new ArrayDeque<>();
    private int open;

    void join(BackendPool pool) {
        pools.add(pool);
    }

    /** Counts one more connection if the budget allows it ({@code max}: the loop's share of pool.size). */
    boolean tryOpen(int max) {
        if (open < max) {
            open++;
            return true;
        }
        return false;
    }

    boolean hasRoom(int max) {
        return open < max;
    }

    /** A counted connection closed (or failed to open): the first starving pool that still waits opens one. */
    void closed() {
        open--;
        while (!starving.isEmpty()) {
            BackendPool next = starving.pollFirst();
            if (next.openForWaiter()) {
                if (next.waiting() > 0) {
                    starving.addLast(next);  // its other waiters take their turn after the other pools'
                }
                return;
            }
        }
    }

    /**
     * {@code pool} has a lease waiting and the budget is spent: it is served when a connection of any pool closes,
     * and one idle connection of another pool is closed now to make that happen.
     */
    void starve(BackendPool pool) {
        if (!starving.contains(pool)) {
            starving.addLast(pool);
        }
        for (BackendPool each : pools) {
            if (each != pool && each.discardOneIdle()) {
                return;
            }
        }
    }

    /** Whether a pool other than {@code pool} waits for room: then {@code pool}'s idle connections should make it. */
    boolean othersStarve(BackendPool pool) {
        for (BackendPool each : starving) {
            if (each != pool && each.waiting() > 0) {
                return true;
            }
        }
        return false;
    }

    int open() {
        return open;
    }
}
