package io.pgroute.proxy.sql;

import java.util.function.Function;

/**
 * COPY, which JSqlParser does not parse.
 *
 * <pre>
 * COPY table [(columns)] FROM {STDIN | 'file' | PROGRAM 'cmd'} …   → COPY_IN, write
 * COPY {table [(columns)] | (query)} TO STDOUT …                   → COPY_OUT, read (as the query)
 * COPY … TO {'file' | PROGRAM 'cmd'}                               → COPY_OUT, primary (server side effect)
 * </pre>
 */
final class CopyStatement {
    private CopyStatement() {
    }

    static InfoBuilder analyze(TokenCursor cursor, SqlScanner.Segment segment, Function<String, InfoBuilder> inner) {
        cursor.accept("binary");
        InfoBuilder query = null;
        String table = null;
        Token first = cursor.peek();
        if (first != null && first.isSymbol("(")) {
            int start = first.end();
            cursor.skipParentheses();
            Token close = previousClose(segment, cursor);
            if (close == null) {
                return InfoBuilder.opaque(StatementKind.UNKNOWN, "unknown copy");
            }
            query = inner.apply(segment.text().substring(start, close.start()));
        } else {
            table = cursor.name();
            cursor.skipParentheses();
        }
        if (cursor.accept("from")) {
            InfoBuilder result = InfoBuilder.of(StatementKind.COPY_IN, false, "copy from");
            if (table == null) {
                result.tablesComplete = false;
            } else {
                result.tablesWritten.add(table);
            }
            return result;
        }
        if (!cursor.accept("to") || (table == null && query == null)) {
            return InfoBuilder.opaque(StatementKind.UNKNOWN, "unknown copy");
        }
        InfoBuilder result = InfoBuilder.of(StatementKind.COPY_OUT, true, "copy to stdout");
        if (query != null) {
            result.absorb(query);
        } else {
            result.tablesRead.add(table);
        }
        if (!cursor.accept("stdout")) {
            result.primary("copy to a server file or program");
        }
        result.cacheable = false;
        return result;
    }

    /** The ')' just consumed by skipParentheses, found again among the full token list. */
    private static Token previousClose(SqlScanner.Segment segment, TokenCursor cursor) {
        Token next = cursor.peek();
        Token result = null;
        for (Token each : segment.allTokens()) {
            if (next != null && each.start() >= next.start()) {
                break;
            }
            result = each;
        }
        return result != null && result.isSymbol(")") ? result : null;
    }
}
