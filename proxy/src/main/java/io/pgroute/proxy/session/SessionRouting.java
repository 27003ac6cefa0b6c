package io.pgroute.proxy.session;

import io.netty.channel.EventLoop;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.backend.BackendTarget;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.StatementInfo;

/**
 * What a session needs to place its requests: the statement classifier, the pools of its database, and the pool
 * mode. Shared by the sessions of one database and startup-parameter set.
 */
public final class SessionRouting {

    private final Classifier classifier;
    private final BackendPools pools;
    private final BackendTarget primary;
    private final boolean transactionPooling;

    public SessionRouting(Classifier classifier, BackendPools pools, BackendTarget primary,
                          boolean transactionPooling) {
        this.classifier = classifier;
        this.pools = pools;
        this.primary = primary;
        this.transactionPooling = transactionPooling;
    }

    public StatementInfo classify(String sql) {
        return classifier.classify(sql);
    }

    /** The pool of the primary on {@code loop}. */
    public BackendPool primaryPool(EventLoop loop) {
        return pools.pool(loop, primary);
    }

    public boolean transactionPooling() {
        return transactionPooling;
    }
}
