package io.pgroute.proxy.backend;

import io.netty.channel.EventLoop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Every {@link BackendPool} of the process: one per event loop and backend target. A client leases only from the
 * pools of its own event loop, so each inner map is touched by one thread.
 */
public final class BackendPools {

    private final BackendConnector connector;
    private volatile BackendPool.PoolSettings settings;
    private final Map<EventLoop, Map<BackendTarget, BackendPool>> pools = new ConcurrentHashMap<>();
    /** One instance of each distinct target seen (as many as there are pools on a loop). */
    private final Map<BackendTarget, BackendTarget> targets = new ConcurrentHashMap<>();
    /** Per event loop, the budget of each server (host and port) its pools share; touched by that loop only. */
    private final Map<EventLoop, Map<String, ServerBudget>> budgets = new ConcurrentHashMap<>();

    public BackendPools(BackendConnector connector, BackendPool.PoolSettings settings) {
        this.connector = connector;
        this.settings = settings;
    }

    /**
     * The one instance of the targets equal to {@code target}: sessions that hold it compare targets, and find their
     * pools, by identity.
     */
    public BackendTarget canonical(BackendTarget target) {
        BackendTarget known = targets.putIfAbsent(target, target);
        return known == null ? target : known;
    }

    /** The pool of {@code target} on {@code loop}; call on {@code loop}. */
    public BackendPool pool(EventLoop loop, BackendTarget target) {
        Map<BackendTarget, BackendPool> loopPools = pools.computeIfAbsent(loop, each -> new HashMap<>());
        BackendPool existing = loopPools.get(target);
        if (existing != null) {
            return existing;
        }
        synchronized (loopPools) {  // readers of all() on other threads
            ServerBudget budget = budgets.computeIfAbsent(loop, each -> new HashMap<>())
                    .computeIfAbsent(target.host() + ":" + target.port(), each -> new ServerBudget());
            return loopPools.computeIfAbsent(canonical(target), each -> new BackendPool(loop, each, connector,
                    () -> this.settings, budget));
        }
    }

    /** Every pool of every event loop, for metrics and the admin console (counts may be a moment old). */
    public List<BackendPool> all() {
        List<BackendPool> result = new ArrayList<>();
        for (Map<BackendTarget, BackendPool> each : pools.values()) {
            synchronized (each) {
                result.addAll(each.values());
            }
        }
        return result;
    }

    /** Online reload: every pool uses {@code next} from its next lease, release or reaper run. */
    public void updateSettings(BackendPool.PoolSettings next) {
        this.settings = next;
    }

    /** The limits every pool uses now. */
    public BackendPool.PoolSettings settings() {
        return settings;
    }

    public BackendConnector connector() {
        return connector;
    }

    /** Closes idle connections of every pool, each on its own loop, waiting up to {@code timeoutMillis}. */
    public void close(long timeoutMillis) {
        List<EventLoop> loops = new ArrayList<>(pools.keySet());
        CountDownLatch closed = new CountDownLatch(loops.size());
        for (EventLoop each : loops) {
            each.execute(() -> {
                try {
                    pools.get(each).values().forEach(BackendPool::close);
                } finally {
                    closed.countDown();
                }
            });
        }
        try {
            closed.await(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
