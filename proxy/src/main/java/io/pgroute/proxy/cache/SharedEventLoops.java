package io.pgroute.proxy.cache;

import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Lends pgroute's own event loops to Lettuce, so that Redis connections live on the threads that serve the
 * sessions: a session whose thread also holds the Redis connection sends its command and gets the answer without
 * handing anything to another thread (each hand-over costs a wake-up, and on a small machine a context switch).
 * Lettuce neither starts nor stops these loops; pgroute closes its Redis clients before it stops them.
 */
final class SharedEventLoops implements EventLoopGroupProvider {

    private final EventLoopGroup loops;
    private final int threads;

    private SharedEventLoops(EventLoopGroup loops, int threads) {
        this.loops = loops;
        this.threads = threads;
    }

    /**
     * A provider lending {@code loops} ({@code threads} of them), or empty when Lettuce would open its sockets with
     * another transport than these loops run (it picks native epoll whenever Netty has it; pgroute can be told to
     * use NIO), in which case Lettuce keeps its own threads.
     */
    static Optional<EventLoopGroupProvider> of(EventLoopGroup loops, int threads) {
        if (loops == null || !Transports.eventLoopGroupClass().isInstance(loops)) {
            return Optional.empty();
        }
        return Optional.of(new SharedEventLoops(loops, threads));
    }

    @Override
    public <T extends EventLoopGroup> T allocate(Class<T> type) {
        if (!type.isInstance(loops)) {
            throw new IllegalStateException("Lettuce asked for " + type.getSimpleName() + " event loops; pgroute's are "
                    + loops.getClass().getSimpleName());
        }
        return type.cast(loops);
    }

    @Override
    public int threadPoolSize() {
        return threads;
    }

    /** The loops are pgroute's: nothing to release. */
    @Override
    public Future<Boolean> release(EventExecutorGroup eventLoopGroup, long quietPeriod, long timeout,
            TimeUnit unit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
    }

    /** The loops are pgroute's: it stops them itself. */
    @Override
    public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit timeUnit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
    }
}
