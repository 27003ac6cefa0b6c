package io.pgroute.proxy.sql;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Numbered daemon threads for the classifier's pools: named, never holding the JVM open, and with a deep stack
 * (JSqlParser and the walks of its trees recurse once per nesting level and per operand of a chain of ORs).
 */
final class DaemonThreads implements ThreadFactory {
    private static final long STACK_BYTES = 16L << 20;
    private final String prefix;
    private final AtomicInteger count = new AtomicInteger();

    DaemonThreads(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public Thread newThread(Runnable task) {
        Thread result = new Thread(null, task, prefix + count.incrementAndGet(), STACK_BYTES);
        result.setDaemon(true);
        return result;
    }
}
