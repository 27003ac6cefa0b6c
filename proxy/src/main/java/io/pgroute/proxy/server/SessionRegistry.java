package io.pgroute.proxy.server;

import io.netty.channel.EventLoop;
import io.pgroute.proxy.backend.BackendConnection;
import io.pgroute.proxy.backend.BackendConnector;
import io.pgroute.proxy.session.CancelRegistry;
import io.pgroute.proxy.session.ClientSession;
import io.pgroute.proxy.session.SessionHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live client sessions of this process: registers their cancel keys, logs each disconnect, and drives
 * graceful shutdown. Each session is touched only on its own event loop.
 */
public final class SessionRegistry implements SessionHost {

    private static final Logger LOGGER = LoggerFactory.getLogger(SessionRegistry.class);

    private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
    /** Sessions by user and by database, for {@code max_clients} of users and databases (counted, not listed). */
    private final SessionCounts byUser = new SessionCounts();
    private final SessionCounts byDatabase = new SessionCounts();
    private final CancelRegistry cancelKeys;
    private final BackendConnector connector;
    private final java.util.concurrent.atomic.AtomicLong pinned = new java.util.concurrent.atomic.AtomicLong();
    /** Paused databases and the sessions waiting to be woken when each is resumed. */
    private final Map<String, Queue<Runnable>> paused = new ConcurrentHashMap<>();
    /** The current configuration (a reload applies to what sessions do next); null: the defaults. */
    private final java.util.function.Supplier<io.pgroute.config.ProxyConfig> config;

    public SessionRegistry(CancelRegistry cancelKeys, BackendConnector connector) {
        this(cancelKeys, connector, () -> null);
    }

    /** @param config the current configuration, read as sessions need it */
    public SessionRegistry(CancelRegistry cancelKeys, BackendConnector connector,
                           java.util.function.Supplier<io.pgroute.config.ProxyConfig> config) {
        this.config = config;
        this.cancelKeys = cancelKeys;
        this.connector = connector;
    }

    public void add(ClientSession session) {
        sessions.add(session);
        byUser.increment(session.info().user());
        byDatabase.increment(session.info().database());
        cancelKeys.register(session.cancelKey(), session);
        LOGGER.info("client connected session={} user={} database={} address={}", session.id(),
                session.info().user(), session.info().database(), session.info().address());
    }

    @Override
    public void onSessionClosed(ClientSession session) {
        if (sessions.remove(session)) {
            cancelKeys.unregister(session.cancelKey());
            byUser.decrement(session.info().user());
            byDatabase.decrement(session.info().database());
            LOGGER.info("client disconnected session={} user={} database={} duration={}ms", session.id(),
                    session.info().user(), session.info().database(),
                    Duration.between(session.info().connectedAt(), Instant.now()).toMillis());
        }
    }

    @Override
    public void onPinned(ClientSession session) {
        pinned.incrementAndGet();
    }

    /** Sessions pinned to a primary connection since start. */
    public long pinnedCount() {
        return pinned.get();
    }

    @Override
    public void cancel(EventLoop loop, BackendConnection backend) {
        connector.cancel(loop, backend);
    }

    /** Hands {@code cancel} on to the pgroute instance at {@code host:port}, which owns its key. */
    public void forwardCancel(EventLoop loop, String host, int port, io.pgroute.protocol.startup.CancelRequest cancel) {
        connector.sendCancel(loop, host, port, cancel, () -> { });
    }

    public int size() {
        return sessions.size();
    }

    /** Client sessions of {@code user} now. */
    public int sessionsOfUser(String user) {
        return byUser.get(user);
    }

    /** Client sessions of {@code database} now. */
    public int sessionsOfDatabase(String database) {
        return byDatabase.get(database);
    }

    /**
     * Pauses {@code database}: sessions hold their next statement outside a transaction until {@link #resume}; a
     * transaction already open runs to its end. Returns false if it was paused already.
     */
    public boolean pause(String database) {
        boolean changed = paused.putIfAbsent(database, new ConcurrentLinkedQueue<>()) == null;
        if (changed) {
            LOGGER.info("database={} paused: new statements wait", database);
        }
        return changed;
    }

    /** Resumes {@code database}: the statements held run now. Returns false if it was not paused. */
    public boolean resume(String database) {
        Queue<Runnable> waiting = paused.remove(database);
        if (waiting == null) {
            return false;
        }
        LOGGER.info("database={} resumed: {} sessions were waiting", database, waiting.size());
        for (Runnable each = waiting.poll(); each != null; each = waiting.poll()) {
            each.run();
        }
        return true;
    }

    /** The databases paused now. */
    public java.util.Set<String> pausedDatabases() {
        return java.util.Set.copyOf(paused.keySet());
    }

    @Override
    public java.time.Duration idleTransactionTimeout() {
        io.pgroute.config.ProxyConfig current = config.get();
        return current == null ? java.time.Duration.ZERO : current.pool().idleTransactionTimeout();
    }

    @Override
    public boolean prepareSimpleQueries() {
        io.pgroute.config.ProxyConfig current = config.get();
        return current == null || current.pool().prepareSimpleQueries();
    }

    @Override
    public boolean deferBegin() {
        io.pgroute.config.ProxyConfig current = config.get();
        return current == null || current.pool().deferBegin();
    }

    @Override
    public long maxPreparedBytes() {
        io.pgroute.config.ProxyConfig current = config.get();
        return current == null ? io.pgroute.config.LimitsConfig.DEFAULT_MAX_PREPARED_BYTES
                : current.limits().maxPreparedBytes();
    }

    @Override
    public boolean holdIfPaused(String database, Runnable resume) {
        Queue<Runnable> waiting = paused.get(database);
        if (waiting == null) {
            return false;
        }
        waiting.add(resume);
        if (paused.get(database) != waiting && waiting.remove(resume)) {
            return false;  // resumed meanwhile, and its waiters already woken: go on
        }
        return true;
    }

    public List<ClientSession> snapshot() {
        return List.copyOf(sessions);
    }

    /** Asks every session to close once idle; each runs on its own event loop. */
    public void requestShutdown() {
        for (ClientSession each : snapshot()) {
            each.eventLoop().execute(each::requestShutdown);
        }
    }

    /** Closes every remaining session now. */
    public void forceShutdown() {
        for (ClientSession each : snapshot()) {
            each.eventLoop().execute(each::forceShutdown);
        }
    }
}
