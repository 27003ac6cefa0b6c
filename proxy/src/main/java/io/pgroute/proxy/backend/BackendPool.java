package io.pgroute.proxy.backend;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.pgroute.protocol.SqlState;
import io.pgroute.proxy.error.PgrouteException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * The backend connections of one target (node, database, role, startup parameters) on one event loop. Confined to
 * that loop: no locks. Bounded: at most {@code maxSize} open connections, counted together with the loop's other
 * pools of the same server ({@link ServerBudget}); a lease beyond that waits up to {@code leaseTimeout} and then
 * fails with 53300. A released connection is reset with {@code DISCARD ALL} before it
 * is reused; idle connections are closed after {@code idleTimeout}, any connection after {@code maxLifetime}.
 *
 * <pre>
 *   lease: idle? -> reuse | open < max? -> connect | wait (timeout -> 53300)
 *   release(clean): reset (DISCARD ALL) -> waiter or idle | release(dirty): terminate
 * </pre>
 */
public final class BackendPool {

    private static final Logger LOGGER = LoggerFactory.getLogger(BackendPool.class);
    /** A connection idle longer than this is checked with an empty query before it is leased again. */
    private static final long CHECK_AFTER_IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final EventLoop loop;
    private final BackendTarget target;
    private final BackendConnector connector;
    private final java.util.function.Supplier<PoolSettings> currentSettings;
    /** The count of connections to this server that this pool shares with the loop's other pools of the server. */
    private final ServerBudget budget;
    private final Deque<Idle> idle = new ArrayDeque<>();
    private final Deque<Waiter> waiters = new ArrayDeque<>();
    private final ScheduledFuture<?> reaper;
    private int open;
    /**
     * The connection kept, beyond {@code maxSize}, for requests that only prepare ({@link #leaseForPrepare}); null
     * until one needed it, and after it closed. Not counted in {@link #open}.
     */
    private BackendConnection reserve;
    /** Every open connection of this pool, idle, leased or the reserve (see {@link #closeConnections}). */
    private final java.util.Set<BackendConnection> connections =
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** The reserve is leased, or being opened. */
    private boolean reserveBusy;
    private long reserveIdleSince;
    private final Deque<Waiter> reserveWaiters = new ArrayDeque<>();
    private long reused;
    private volatile long waits;

    /** Pool limits and timeouts. */
    public record PoolSettings(int maxSize, Duration leaseTimeout, Duration idleTimeout, Duration maxLifetime) {
    }

    private record Idle(BackendConnection connection, long sinceNanos) {
    }

    private record Waiter(Promise<BackendConnection> promise, ScheduledFuture<?> timeout) {
    }

    BackendPool(EventLoop loop, BackendTarget target, BackendConnector connector, PoolSettings settings) {
        this(loop, target, connector, () -> settings);
    }

    /** A pool whose limits and timeouts are read from {@code settings} at each use (an online reload changes them). */
    BackendPool(EventLoop loop, BackendTarget target, BackendConnector connector,
                java.util.function.Supplier<PoolSettings> settings) {
        this(loop, target, connector, settings, new ServerBudget());
    }

    /** A pool that counts its connections in {@code budget}, with the loop's other pools of the same server. */
    BackendPool(EventLoop loop, BackendTarget target, BackendConnector connector,
                java.util.function.Supplier<PoolSettings> settings, ServerBudget budget) {
        this.loop = loop;
        this.budget = budget;
        budget.join(this);
        this.target = target;
        this.connector = connector;
        this.currentSettings = settings;
        long period = Math.max(1, Math.min(settings.get().idleTimeout().toMillis() / 2, 5_000));
        this.reaper = loop.scheduleAtFixedRate(this::reap, period, period, TimeUnit.MILLISECONDS);
    }

    /** A ready connection for this target; completes on the pool's event loop. */
    public Future<BackendConnection> lease() {
        Promise<BackendConnection> result = loop.newPromise();
        leaseInto(result);
        return result;
    }

    /**
     * A connection for a request that only prepares (Parse, Describe and Sync outside a transaction): one of the pool's
     * when one is idle or may be opened, else the pool's reserve connection. A client that prepares synchronously
     * (libpq's PQprepare blocks its thread) while other connections of that same thread hold every pooled connection
     * in open transactions would otherwise wait for one of them, which waits for it: a deadlock until the lease
     * timeout (COMPAT V12). The reserve serves one such request at a time; they hold it only until their
     * ReadyForQuery.
     */
    public Future<BackendConnection> leaseForPrepare() {
        Promise<BackendConnection> result = loop.newPromise();
        int max = currentSettings.get().maxSize();
        if (!idle.isEmpty() || open < max && budget.hasRoom(max)) {
            leaseInto(result);
        } else if (!reserveBusy) {
            takeReserve(result);
        } else {
            ScheduledFuture<?> timeout = loop.schedule(() -> {
                reserveWaiters.removeIf(each -> each.promise() == result);
                timeOut(result);
            }, currentSettings.get().leaseTimeout().toMillis(), TimeUnit.MILLISECONDS);
            reserveWaiters.addLast(new Waiter(result, timeout));
            waits++;
        }
        return result;
    }

    private void takeReserve(Promise<BackendConnection> result) {
        reserveBusy = true;
        BackendConnection kept = reserve;
        if (kept != null && kept.isActive() && !expired(kept, System.nanoTime())) {
            if (!result.trySuccess(kept)) {
                releaseReserve(kept);
            }
            return;
        }
        if (kept != null) {
            reserve = null;
            discard(kept);
        }
        connector.connect(loop, target).addListener(done -> {
            if (!done.isSuccess()) {
                reserveBusy = false;
                result.tryFailure(done.cause());
                serveReserveWaiter();
                return;
            }
            @SuppressWarnings("unchecked")
            BackendConnection connection = ((Future<BackendConnection>) done).getNow();
            reserve = connection;
            connections.add(connection);
            connection.channel().closeFuture().addListener(closed -> loop.execute(() -> {
                connections.remove(connection);
                if (reserve == connection) {
                    reserve = null;
                }
            }));
            if (!result.trySuccess(connection)) {
                releaseReserve(connection);
            }
        });
    }

    /** The reserve came back (kept clean by its lessee, or closed): the next waiting prepare gets it. */
    private void releaseReserve(BackendConnection connection) {
        reserveBusy = false;
        reserveIdleSince = System.nanoTime();
        if (!connection.isActive() && reserve == connection) {
            reserve = null;
        }
        serveReserveWaiter();
    }

    private void serveReserveWaiter() {
        if (!reserveBusy && !reserveWaiters.isEmpty()) {
            Waiter next = reserveWaiters.pollFirst();
            next.timeout().cancel(false);
            takeReserve(next.promise());
        }
    }

    /**
     * An idle connection that can be used at once, or null (none idle, or the next one must first be checked:
     * then {@link #lease} does that). The synchronous fast path of a lease: no promise, no listener.
     */
    public BackendConnection leaseNow() {
        return leaseNow(null);
    }

    /**
     * As {@link #leaseNow()}, preferring among the few most recently used idle connections one that already has
     * {@code settings} applied (null: no preference), so that sessions with different {@code SET}s tend to keep
     * their own connections and skip the settings replay.
     */
    public BackendConnection leaseNow(SessionSettings settings) {
        if (settings != null && !idle.isEmpty() && !settings.equals(idle.peekFirst().connection().applied())) {
            BackendConnection matching = takeMatching(settings);
            if (matching != null) {
                return matching;
            }
        }
        long now = System.nanoTime();  // one clock read per lease: each is a call into the vDSO
        while (!idle.isEmpty()) {
            Idle next = idle.peekFirst();
            BackendConnection candidate = next.connection();
            if (!candidate.isActive() || expired(candidate, now)) {
                idle.pollFirst();
                discard(candidate);
                continue;
            }
            if (now - next.sinceNanos() > CHECK_AFTER_IDLE_NANOS) {
                return null;
            }
            idle.pollFirst();
            reused++;
            return candidate;
        }
        return null;
    }

    /**
     * {@code connection} itself, taken out of this pool's idle connections if it is there and usable at once, else
     * null. For a session that needs the very connection it used last (its {@code currval}).
     */
    public BackendConnection leaseIdle(BackendConnection connection) {
        for (java.util.Iterator<Idle> each = idle.iterator(); each.hasNext(); ) {
            Idle next = each.next();
            if (next.connection() != connection) {
                continue;
            }
            long now = System.nanoTime();
            if (!connection.isActive() || expired(connection, now)
                    || now - next.sinceNanos() > CHECK_AFTER_IDLE_NANOS) {
                return null;  // the usual lease deals with it
            }
            each.remove();
            reused++;
            return connection;
        }
        return null;
    }

    /** Connections looked at for one whose settings match, from the most recently used. */
    private static final int MATCH_SCAN = 8;

    /** An idle connection among the first {@link #MATCH_SCAN} with {@code settings} applied, usable now; else null. */
    private BackendConnection takeMatching(SessionSettings settings) {
        java.util.Iterator<Idle> each = idle.iterator();
        long now = System.nanoTime();
        for (int i = 0; i < MATCH_SCAN && each.hasNext(); i++) {
            Idle next = each.next();
            BackendConnection candidate = next.connection();
            if (settings.equals(candidate.applied()) && candidate.isActive() && !expired(candidate, now)
                    && now - next.sinceNanos() <= CHECK_AFTER_IDLE_NANOS) {
                each.remove();
                reused++;
                return candidate;
            }
        }
        return null;
    }

    private void leaseInto(Promise<BackendConnection> result) {
        long now = System.nanoTime();
        while (!idle.isEmpty()) {
            Idle next = idle.pollFirst();
            BackendConnection candidate = next.connection();
            if (!candidate.isActive() || expired(candidate, now)) {
                discard(candidate);
                continue;
            }
            reused++;
            if (now - next.sinceNanos() > CHECK_AFTER_IDLE_NANOS) {
                // idle long enough for a firewall or a server restart to have cut it: check before handing it out
                new ConnectionReset(candidate, "", alive -> {
                    if (alive) {
                        if (!result.trySuccess(candidate)) {
                            offer(candidate);  // the lease was cancelled meanwhile
                        }
                    } else {
                        discard(candidate);
                        leaseInto(result);
                    }
                }).start();
                return;
            }
            result.setSuccess(candidate);
            return;
        }
        int max = currentSettings.get().maxSize();
        if (open < max && budget.tryOpen(max)) {
            connect(result);
            return;
        }
        ScheduledFuture<?> timeout = loop.schedule(() -> timeOut(result), currentSettings.get().leaseTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        waiters.addLast(new Waiter(result, timeout));
        waits++;  // only this pool's event loop writes it
        result.addListener(done -> {
            if (done.isCancelled()) {  // the client gave up (a cancel): no longer waiting
                timeout.cancel(false);
                waiters.removeIf(each -> each.promise() == result);
            }
        });
        if (open < max) {
            budget.starve(this);  // the server's budget is spent by other pools of it: make room there
        }
    }

    /** How a connection comes back to the pool. */
    public enum Release {
        /** Idle and in a state the next client can take (settings and statements are tracked): reuse as is. */
        KEEP,
        /** Idle but holding session state pgroute does not track (temp tables, LISTEN…): DISCARD ALL first. */
        RESET,
        /** Mid-transaction, mid-request or broken: close it. */
        CLOSE
    }

    /** Gives a connection back. */
    public void release(BackendConnection connection, Release how) {
        connection.detach();
        long now = System.nanoTime();
        if (connection == reserve) {
            if (how != Release.KEEP || !connection.isActive() || expired(connection, now)
                    || connection.applied().hasLeaseOnly()) {
                reserve = null;  // the next prepare that needs the reserve opens a new one
                discard(connection);
                releaseReserve(connection);
            } else {
                connection.afterCancels(() -> releaseReserve(connection));
            }
            return;
        }
        if (how == Release.CLOSE || !connection.isActive() || expired(connection, now)) {
            discard(connection);
        } else if (how == Release.KEEP && connection.applied().hasLeaseOnly()) {
            // it holds a client's idle_session_timeout: idle in the pool, the server would close it
            connection.afterCancels(() -> new ConnectionReset(connection, SessionSettings.RESET_LEASE_ONLY, done -> {
                if (done) {
                    connection.applied(connection.applied().withoutLeaseOnly());
                    offer(connection);
                } else {
                    discard(connection);
                }
            }).start());
        } else if (how == Release.KEEP) {
            connection.afterCancels(() -> offer(connection, now));
        } else {
            new ConnectionReset(connection, done -> {
                if (done) {
                    connection.onReset();
                    offer(connection);
                } else {
                    discard(connection);
                }
            }).start();
        }
    }

    public int open() {
        return open;
    }

    public int idle() {
        return idle.size();
    }

    public int waiting() {
        return waiters.size();
    }

    /** Leases that had to wait for a connection since start. */
    public long waits() {
        return waits;
    }

    public long reused() {
        return reused;
    }

    public BackendTarget target() {
        return target;
    }

    /**
     * Closes every connection of this pool, idle or in use, on its event loop; returns at once. For a server the
     * node monitor found down: a session whose request was running there gets what a server crash gives it (an
     * autocommit read that had sent nothing back yet runs again on the primary), and no one waits on it any longer.
     */
    public void closeConnections() {
        loop.execute(() -> {
            for (BackendConnection each : java.util.List.copyOf(connections)) {
                each.channel().close();
            }
        });
    }

    /** Closes every idle connection and stops the reaper (pool shutdown). */
    public void close() {
        reaper.cancel(false);
        if (reserve != null && !reserveBusy) {
            discard(reserve);
            reserve = null;
        }
        while (!reserveWaiters.isEmpty()) {
            Waiter waiter = reserveWaiters.pollFirst();
            waiter.timeout().cancel(false);
            waiter.promise().tryFailure(new PgrouteException(SqlState.ADMIN_SHUTDOWN, "pgroute is shutting down"));
        }
        while (!idle.isEmpty()) {
            discard(idle.pollFirst().connection());
        }
        while (!waiters.isEmpty()) {
            Waiter waiter = waiters.pollFirst();
            waiter.timeout().cancel(false);
            waiter.promise().tryFailure(new PgrouteException(SqlState.ADMIN_SHUTDOWN, "pgroute is shutting down"));
        }
    }

    private void connect(Promise<BackendConnection> result) {
        open++;
        connector.connect(loop, target).addListener(done -> {
            if (done.isSuccess()) {
                @SuppressWarnings("unchecked")
                BackendConnection connection = ((Future<BackendConnection>) done).getNow();
                connections.add(connection);
                connection.channel().closeFuture().addListener(closed -> loop.execute(() -> forget(connection)));
                if (!result.trySuccess(connection)) {
                    offer(connection);
                }
            } else {
                open--;
                result.tryFailure(done.cause());
                budget.closed();
                openForWaiter();
            }
        });
    }

    private void offer(BackendConnection connection) {
        offer(connection, System.nanoTime());
    }

    /** Hands {@code connection} to the first waiter, else keeps it idle since {@code now}. */
    private void offer(BackendConnection connection, long now) {
        while (!waiters.isEmpty()) {
            Waiter waiter = waiters.pollFirst();
            waiter.timeout().cancel(false);
            if (waiter.promise().trySuccess(connection)) {
                reused++;
                return;
            }
        }
        if (budget.othersStarve(this)) {
            discard(connection);  // another pool of this server has a client waiting for room: its closing makes it
            return;
        }
        idle.addFirst(new Idle(connection, now));
    }

    /** Closes this pool's longest idle connection, if it has one, to make room for another pool of the server. */
    boolean discardOneIdle() {
        Idle oldest = idle.pollLast();
        if (oldest == null) {
            return false;
        }
        LOGGER.debug("closing idle backend={} to make room for another pool of the server",
                oldest.connection().label());
        discard(oldest.connection());
        return true;
    }

    /**
     * The server's budget has room again: opens a connection for this pool's first waiter, if it has one and may.
     * Returns whether it did.
     */
    boolean openForWaiter() {
        int max = currentSettings.get().maxSize();
        if (waiters.isEmpty() || open >= max || !budget.tryOpen(max)) {
            return false;
        }
        Waiter waiter = waiters.pollFirst();
        waiter.timeout().cancel(false);
        connect(waiter.promise());
        return true;
    }

    private void discard(BackendConnection connection) {
        connection.terminate();
    }

    /** Called once per connection when its channel closes, whoever closed it. */
    private void forget(BackendConnection connection) {
        connections.remove(connection);
        open--;
        idle.removeIf(each -> each.connection() == connection);
        budget.closed();
        openForWaiter();
    }

    private void timeOut(Promise<BackendConnection> promise) {
        waiters.removeIf(each -> each.promise() == promise);
        promise.tryFailure(new PgrouteException(SqlState.TOO_MANY_CONNECTIONS, "no backend connection to "
                + target.node() + " became free within " + currentSettings.get().leaseTimeout().toMillis() + " ms (pool.size "
                + currentSettings.get().maxSize() + " per event loop)"));
    }

    /** Whether {@code connection} outlived pool.max_lifetime at {@code now} ({@link System#nanoTime}). */
    private boolean expired(BackendConnection connection, long now) {
        return now - connection.openedAtNanos() > currentSettings.get().maxLifetime().toNanos();
    }

    private void reap() {
        long now = System.nanoTime();
        if (reserve != null && !reserveBusy && (now - reserveIdleSince > currentSettings.get().idleTimeout().toNanos()
                || expired(reserve, now))) {
            discard(reserve);
            reserve = null;
        }
        Iterator<Idle> each = idle.descendingIterator();
        while (each.hasNext()) {
            Idle candidate = each.next();
            if (now - candidate.sinceNanos() > currentSettings.get().idleTimeout().toNanos() || expired(candidate.connection(), now)) {
                each.remove();
                LOGGER.debug("closing idle backend={}", candidate.connection().label());
                discard(candidate.connection());
            }
        }
    }
}
