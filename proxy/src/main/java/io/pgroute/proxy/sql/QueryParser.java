package io.pgroute.proxy.sql;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.UnsupportedStatement;

/**
 * JSqlParser behind a timeout: parsing runs on a small pool of daemon threads and is abandoned (interrupted)
 * after {@code timeout}, so a pathological statement costs at most that much and then counts as a parse
 * failure. Statements longer than {@code maxLength} characters are not parsed at all.
 */
final class QueryParser implements AutoCloseable {
    private final ExecutorService executor;
    private final long timeoutMillis;
    private final int maxLength;

    QueryParser(Duration timeout, int threads, int maxLength) {
        this.timeoutMillis = Math.max(1, timeout.toMillis());
        this.maxLength = maxLength;
        this.executor = Executors.newFixedThreadPool(threads, new DaemonThreads("pgroute-sql-parser-"));
    }

    /** The parsed statement; throws on syntax errors, timeouts, over-long text and UnsupportedStatement. */
    Statement parse(String sql) throws JSQLParserException {
        if (sql.length() > maxLength) {
            throw new JSQLParserException("statement longer than " + maxLength + " characters");
        }
        Statement result = CCJSqlParserUtil.parse(sql, executor, parser -> parser.withTimeOut(timeoutMillis));
        if (result == null || result instanceof UnsupportedStatement) {
            throw new JSQLParserException("unsupported statement");
        }
        return result;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
