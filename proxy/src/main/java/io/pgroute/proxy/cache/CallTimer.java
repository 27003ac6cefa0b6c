package io.pgroute.proxy.cache;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Timers for Redis calls. On one of pgroute's event loops (when Lettuce shares them, see {@link SharedEventLoops})
 * a timer runs on that loop: scheduling and cancelling it wakes no other thread, whereas
 * {@link CompletableFuture#orTimeout}'s single timer thread is woken by nearly every call (its queue is empty
 * between calls), a context switch each. Anywhere else the JDK's and Lettuce's timers are used.
 */
final class CallTimer {

    /** pgroute's event loops, read once: {@link #currentLoop} runs on every Redis call. Empty when not shared. */
    private final EventExecutor[] loops;
    private final EventExecutorGroup fallback;

    /**
     * @param loops    pgroute's event loops, or null when Lettuce does not share them
     * @param fallback where {@link #schedule} runs tasks off those loops
     */
    CallTimer(EventLoopGroup loops, EventExecutorGroup fallback) {
        List<EventExecutor> each = new ArrayList<>();
        if (loops != null) {
            loops.forEach(each::add);
        }
        this.loops = each.toArray(EventExecutor[]::new);
        this.fallback = fallback;
    }

    /** {@code call}, completed exceptionally with a {@link TimeoutException} if it has not completed in time. */
    <T> CompletableFuture<T> bound(CompletableFuture<T> call, Duration timeout) {
        EventExecutor here = currentLoop();
        if (here == null) {
            return call.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        if (call.isDone()) {
            return call;
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        ScheduledFuture<?> timer = here.schedule(() -> {
            result.completeExceptionally(new TimeoutException());
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        call.whenComplete((value, failure) -> {
            timer.cancel(false);
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(value);
            }
        });
        return result;
    }

    /** Runs {@code task} after {@code delay}: on this thread's event loop if it is one of pgroute's. */
    void schedule(Runnable task, Duration delay) {
        EventExecutor here = currentLoop();
        (here != null ? here : fallback).schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The event loop of pgroute's running this thread, when Lettuce shares them; null otherwise. */
    private EventExecutor currentLoop() {
        for (EventExecutor each : loops) {
            if (each.inEventLoop()) {
                return each;
            }
        }
        return null;
    }
}
