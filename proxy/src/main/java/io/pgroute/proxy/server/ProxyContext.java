package io.pgroute.proxy.server;

import io.netty.handler.ssl.SslContext;
import io.pgroute.config.ProxyConfig;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.cache.ResultCache;
import io.pgroute.proxy.metrics.QueryRecorder;
import io.pgroute.proxy.routing.DatabaseRouting;
import io.pgroute.proxy.session.CancelRegistry;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.stats.RouteStats;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The process-wide things a client pipeline needs, passed in through constructors (no statics): the configuration
 * (replaced as a whole by an online reload; every new connection reads the current one), the backend pools, the
 * classifier, each database's routing state, cancel keys, live sessions, the server TLS context and its
 * certificate's channel binding (null when TLS is off), session ids, the result cache (null when off), where
 * sessions report what they ran, how to stop the server (the admin console's SHUTDOWN) and the route statistics.
 */
public final class ProxyContext {

    private final AtomicReference<ProxyConfig> config;
    private final BackendPools pools;
    private final Classifier classifier;
    private final Map<String, DatabaseRouting> routing;
    private final CancelRegistry cancelKeys;
    private final SessionRegistry sessions;
    private final SslContext sslContext;
    private final byte[] tlsServerEndPoint;
    private final AtomicLong sessionIds;
    private final ResultCache resultCache;
    private final QueryRecorder recorder;
    private final Runnable shutdown;
    private final RouteStats routes;
    private final Map<String, io.pgroute.proxy.routing.AuthQuery> authQueries;
    private volatile java.util.concurrent.Callable<PgrouteServer.ReloadReport> reload;

    /** A context with every part given; {@code resultCache} and the TLS parts may be null. */
    public ProxyContext(ProxyConfig config, BackendPools pools, Classifier classifier,
                        Map<String, DatabaseRouting> routing, CancelRegistry cancelKeys, SessionRegistry sessions,
                        SslContext sslContext, byte[] tlsServerEndPoint, AtomicLong sessionIds,
                        ResultCache resultCache, QueryRecorder recorder, Runnable shutdown, RouteStats routes,
                        Map<String, io.pgroute.proxy.routing.AuthQuery> authQueries) {
        this.config = new AtomicReference<>(Objects.requireNonNull(config, "config"));
        this.pools = pools;
        this.classifier = classifier;
        this.routing = routing;
        this.cancelKeys = cancelKeys;
        this.sessions = sessions;
        this.sslContext = sslContext;
        this.tlsServerEndPoint = tlsServerEndPoint;
        this.sessionIds = sessionIds;
        this.resultCache = resultCache;
        this.recorder = recorder;
        this.shutdown = shutdown;
        this.routes = routes;
        this.authQueries = Map.copyOf(authQueries);
    }

    /** A context without a result cache, metrics, route statistics or a server to stop (tests of one handler). */
    public ProxyContext(ProxyConfig config, BackendPools pools, Classifier classifier,
                        Map<String, DatabaseRouting> routing, CancelRegistry cancelKeys, SessionRegistry sessions,
                        SslContext sslContext, byte[] tlsServerEndPoint, AtomicLong sessionIds) {
        this(config, pools, classifier, routing, cancelKeys, sessions, sslContext, tlsServerEndPoint, sessionIds,
                null, QueryRecorder.NONE, () -> { }, new RouteStats(1), Map.of());
    }

    /** The current configuration. */
    public ProxyConfig config() {
        return config.get();
    }

    /** Makes {@code next} the configuration every new connection reads (online reload). */
    void replaceConfig(ProxyConfig next) {
        config.set(Objects.requireNonNull(next, "next"));
    }

    public BackendPools pools() {
        return pools;
    }

    public Classifier classifier() {
        return classifier;
    }

    public Map<String, DatabaseRouting> routing() {
        return routing;
    }

    public CancelRegistry cancelKeys() {
        return cancelKeys;
    }

    public SessionRegistry sessions() {
        return sessions;
    }

    public SslContext sslContext() {
        return sslContext;
    }

    public byte[] tlsServerEndPoint() {
        return tlsServerEndPoint;
    }

    public AtomicLong sessionIds() {
        return sessionIds;
    }

    public ResultCache resultCache() {
        return resultCache;
    }

    public QueryRecorder recorder() {
        return recorder;
    }

    public Runnable shutdown() {
        return shutdown;
    }

    /** The {@code auth_query} lookup of {@code database}, or null when it has none (or no such database). */
    public io.pgroute.proxy.routing.AuthQuery authQuery(String database) {
        return database == null ? null : authQueries.get(database);
    }

    public RouteStats routes() {
        return routes;
    }

    /** How the admin console's RELOAD re-reads the configuration; null when the server was not given a file. */
    public java.util.concurrent.Callable<PgrouteServer.ReloadReport> reload() {
        return reload;
    }

    /** Sets what {@link #reload()} returns. */
    void onReload(java.util.concurrent.Callable<PgrouteServer.ReloadReport> value) {
        this.reload = value;
    }

    public boolean tlsEnabled() {
        return sslContext != null;
    }
}
