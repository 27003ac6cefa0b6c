package io.pgroute.proxy.sql;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.UnsupportedStatement;

/**
 * JSqlParser behind a timeout: parsing runs on a small pool of daemon threads and is abandoned after
 * {@code timeout}, so a pathological statement costs its caller at most that much and then counts as a parse
 * failure. Statements longer than {@code maxLength} characters are not parsed at all.
 *
 * <p>An abandoned parse is not stopped: JSqlParser's timeout sets a flag its lookahead does not read, and the
 * thread runs on until the parse ends. A parse is therefore only handed to a thread that is free; when none is for a
 * whole timeout, {@link #parse} throws {@link Busy}, which says nothing about the statement (a statement queued
 * behind an abandoned parse would otherwise time out there and be remembered as unreadable).
 */
final class QueryParser implements AutoCloseable {
    private final ThreadPoolExecutor executor;
    /** Permits for the parser threads: a thread still on a parse, abandoned or not, holds one. */
    private final Semaphore free;
    private final long timeoutMillis;
    private final int maxLength;

    QueryParser(Duration timeout, int threads, int maxLength) {
        this.timeoutMillis = Math.max(1, timeout.toMillis());
        this.maxLength = maxLength;
        this.free = new Semaphore(threads);
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                new DaemonThreads("pgroute-sql-parser-")) {
            @Override
            public void execute(Runnable task) {
                boolean acquired;
                try {
                    acquired = free.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    acquired = false;
                }
                if (!acquired) {
                    throw new RejectedExecutionException("every parser thread is busy");
                }
                try {
                    super.execute(task);
                } catch (RuntimeException rejected) {
                    free.release();
                    throw rejected;
                }
            }

            @Override
            protected void afterExecute(Runnable task, Throwable failure) {
                free.release();  // the parse has really ended, abandoned or not
            }
        };
    }

    /** The parsed statement; throws on syntax errors, timeouts, over-long text and UnsupportedStatement. */
    Statement parse(String sql) throws JSQLParserException {
        if (sql.length() > maxLength) {
            throw new JSQLParserException("statement longer than " + maxLength + " characters");
        }
        Statement result;
        try {
            result = CCJSqlParserUtil.parse(sql, executor, parser -> parser.withTimeOut(timeoutMillis));
        } catch (RejectedExecutionException busy) {
            throw new Busy();
        }
        if (result == null || result instanceof UnsupportedStatement) {
            throw new JSQLParserException("unsupported statement");
        }
        return result;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** No parser thread was free for a whole timeout: the statement was not parsed, and nothing is known of it. */
    static final class Busy extends RuntimeException {
        Busy() {
            super("every parser thread is busy", null, false, false);
        }
    }
}
