package io.pgroute.proxy.routing;

import io.netty.channel.EventLoop;
import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.RoutingConfig;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The routing state of one configured database, shared by its sessions: the node monitor (null when replicas are
 * not configured or not monitored) and one {@link ReplicaSelector} per event loop.
 */
public final class DatabaseRouting implements AutoCloseable {

    private static final int MAX_PARSED = 100_000;

    private final DatabaseConfig database;
    private final RoutingConfig config;
    private final NodeMonitor monitor;
    private final Map<EventLoop, ReplicaSelector> selectors = new ConcurrentHashMap<>();
    private final java.util.Set<String> parsedStatements = ConcurrentHashMap.newKeySet();
    private final java.util.Set<String> knownWrites = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicLong safetyNetRetries = new java.util.concurrent.atomic.AtomicLong();

    public DatabaseRouting(DatabaseConfig database, RoutingConfig config, NodeMonitor monitor) {
        this.database = database;
        this.config = config;
        this.monitor = monitor;
    }

    public DatabaseConfig database() {
        return database;
    }

    public RoutingConfig config() {
        return config;
    }

    /** True when reads may go to replicas: replicas are configured and monitored. */
    public boolean hasReplicas() {
        return monitor != null && !database.replicas().isEmpty();
    }

    public NodeMonitor monitor() {
        return monitor;
    }

    /** The selector of {@code loop}; use it only on that loop. */
    public ReplicaSelector selector(EventLoop loop) {
        return selectors.computeIfAbsent(loop, each -> new ReplicaSelector(config));
    }

    /** Remembers a statement shape a replica refused (the safety net's finding), and counts it. */
    public void markWrite(String fingerprint) {
        safetyNetRetries.incrementAndGet();
        if (knownWrites.size() < MAX_PARSED) {
            knownWrites.add(fingerprint);
        }
    }

    public boolean hasKnownWrites() {
        return !knownWrites.isEmpty();
    }

    public boolean isKnownWrite(String fingerprint) {
        return knownWrites.contains(fingerprint);
    }

    /** How many statements were re-run on the primary after a replica refused them. */
    public long safetyNetRetries() {
        return safetyNetRetries.get();
    }

    /** Remembers a pgroute statement name that a server of this database parsed successfully (bounded). */
    public void parsed(String backendName) {
        if (parsedStatements.size() < MAX_PARSED) {
            parsedStatements.add(backendName);
        }
    }

    /** Whether a server of this database already parsed the statement with this pgroute name. */
    public boolean isParsed(String backendName) {
        return parsedStatements.contains(backendName);
    }

    @Override
    public void close() {
        if (monitor != null) {
            monitor.close();
        }
    }
}
