package io.pgroute.proxy.server;

import io.netty.handler.ssl.SslContext;
import io.pgroute.config.ProxyConfig;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.session.CancelRegistry;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The process-wide things a client pipeline needs, passed in through constructors (no statics): configuration,
 * the backend pools, cancel keys, live sessions, the server TLS context and its certificate's channel binding
 * (null when TLS is off), and how to stop the server (the admin console's SHUTDOWN).
 */
public record ProxyContext(ProxyConfig config, BackendPools pools, io.pgroute.proxy.sql.Classifier classifier,
                           java.util.Map<String, io.pgroute.proxy.routing.DatabaseRouting> routing,
                           CancelRegistry cancelKeys,
                           SessionRegistry sessions, SslContext sslContext, byte[] tlsServerEndPoint,
                           AtomicLong sessionIds, io.pgroute.proxy.cache.ResultCache resultCache,
                           io.pgroute.proxy.metrics.QueryRecorder recorder, Runnable shutdown,
                           io.pgroute.proxy.stats.RouteStats routes) {

    /** A context whose route statistics are its own (nothing records into them). */
    public ProxyContext(ProxyConfig config, BackendPools pools, io.pgroute.proxy.sql.Classifier classifier,
                        java.util.Map<String, io.pgroute.proxy.routing.DatabaseRouting> routing,
                        CancelRegistry cancelKeys, SessionRegistry sessions, SslContext sslContext,
                        byte[] tlsServerEndPoint, AtomicLong sessionIds, io.pgroute.proxy.cache.ResultCache resultCache,
                        io.pgroute.proxy.metrics.QueryRecorder recorder, Runnable shutdown) {
        this(config, pools, classifier, routing, cancelKeys, sessions, sslContext, tlsServerEndPoint, sessionIds,
                resultCache, recorder, shutdown, new io.pgroute.proxy.stats.RouteStats(1));
    }

    /** A context whose {@link #shutdown} (the admin console's SHUTDOWN) does nothing: there is no server to stop. */
    public ProxyContext(ProxyConfig config, BackendPools pools, io.pgroute.proxy.sql.Classifier classifier,
                        java.util.Map<String, io.pgroute.proxy.routing.DatabaseRouting> routing,
                        CancelRegistry cancelKeys, SessionRegistry sessions, SslContext sslContext,
                        byte[] tlsServerEndPoint, AtomicLong sessionIds, io.pgroute.proxy.cache.ResultCache resultCache,
                        io.pgroute.proxy.metrics.QueryRecorder recorder) {
        this(config, pools, classifier, routing, cancelKeys, sessions, sslContext, tlsServerEndPoint, sessionIds,
                resultCache, recorder, () -> { });
    }

    /** A context without a result cache. */
    public ProxyContext(ProxyConfig config, BackendPools pools, io.pgroute.proxy.sql.Classifier classifier,
                        java.util.Map<String, io.pgroute.proxy.routing.DatabaseRouting> routing,
                        CancelRegistry cancelKeys, SessionRegistry sessions, SslContext sslContext,
                        byte[] tlsServerEndPoint, AtomicLong sessionIds) {
        this(config, pools, classifier, routing, cancelKeys, sessions, sslContext, tlsServerEndPoint, sessionIds,
                null, io.pgroute.proxy.metrics.QueryRecorder.NONE);
    }

    public boolean tlsEnabled() {
        return sslContext != null;
    }
}
