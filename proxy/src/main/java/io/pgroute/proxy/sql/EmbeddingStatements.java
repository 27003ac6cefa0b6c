package io.pgroute.proxy.sql;

import java.util.function.Function;

/**
 * Lexical classification of statements that embed another statement or name one: PREPARE … AS, EXECUTE,
 * DEALLOCATE, DECLARE … CURSOR FOR, FETCH / MOVE / CLOSE, COPY and EXPLAIN. The embedded statement is
 * classified by {@code inner} and its tables, functions and verdict carried over.
 */
final class EmbeddingStatements {
    private EmbeddingStatements() {
    }

    /** The classification, or null when the statement is none of these. */
    static InfoBuilder analyze(TokenCursor cursor, SqlScanner.Segment segment, Function<String, InfoBuilder> inner) {
        if (cursor.accept("prepare")) {
            return prepare(cursor, segment, inner);
        }
        if (cursor.accept("execute")) {
            return InfoBuilder.opaque(StatementKind.EXECUTE, "execute of a prepared statement").target(cursor.name());
        }
        if (cursor.accept("deallocate")) {
            cursor.accept("prepare");
            return InfoBuilder.of(StatementKind.DEALLOCATE, true, "deallocate").target(cursor.name());
        }
        if (cursor.accept("declare")) {
            return declare(cursor, segment, inner);
        }
        if (cursor.accept("close")) {
            // CLOSE ALL frees every held cursor (SessionPins); CLOSE name may close the last one
            String name = lastName(cursor);
            InfoBuilder result = InfoBuilder.of(StatementKind.CURSOR, false, "cursor operation").target(name);
            return "all".equalsIgnoreCase(name) ? result : result.removes();
        }
        if (cursor.accept("fetch") || cursor.accept("move")) {
            return InfoBuilder.of(StatementKind.CURSOR, false, "cursor operation").target(lastName(cursor));
        }
        if (cursor.accept("copy")) {
            return CopyStatement.analyze(cursor, segment, inner);
        }
        if (cursor.accept("explain")) {
            return explain(cursor, segment, inner);
        }
        return null;
    }

    private static InfoBuilder prepare(TokenCursor cursor, SqlScanner.Segment segment,
            Function<String, InfoBuilder> inner) {
        String name = cursor.name();
        cursor.skipParentheses();
        InfoBuilder result = InfoBuilder.of(StatementKind.PREPARE, true, "prepare").target(name).pins();
        if (name == null || !cursor.accept("as") || cursor.atEnd()) {
            result.primary("unknown prepare");
            result.tablesComplete = false;
            return result;
        }
        result.absorb(inner.apply(segment.textFrom(cursor.peek())));
        result.primary("sql prepare pins the session");
        return result;
    }

    private static InfoBuilder declare(TokenCursor cursor, SqlScanner.Segment segment,
            Function<String, InfoBuilder> inner) {
        String name = cursor.name();
        InfoBuilder result = InfoBuilder.of(StatementKind.CURSOR, true, "cursor").target(name);
        while (!cursor.atEnd() && !cursor.at("for")) {
            if (cursor.acceptAll("with", "hold")) {
                result.pins();
                result.primary("cursor with hold");
            } else {
                cursor.next();
            }
        }
        if (name == null || !cursor.accept("for") || cursor.atEnd()) {
            result.primary("unknown declare");
            result.tablesComplete = false;
            return result;
        }
        result.absorb(inner.apply(segment.textFrom(cursor.peek())));
        return result;
    }

    private static InfoBuilder explain(TokenCursor cursor, SqlScanner.Segment segment,
            Function<String, InfoBuilder> inner) {
        boolean analyze = false;
        if (cursor.peek() != null && cursor.peek().isSymbol("(")) {
            analyze = analyzeOption(cursor);
        } else {
            analyze = cursor.accept("analyze") || cursor.accept("analyse");
            cursor.accept("verbose");
        }
        if (cursor.atEnd()) {
            return InfoBuilder.opaque(StatementKind.UNKNOWN, "unknown explain");
        }
        InfoBuilder statement = inner.apply(segment.textFrom(cursor.peek()));
        statement.cacheable = false;
        if (analyze) {
            statement.reason = "explain analyze: " + statement.reason;
            return statement;
        }
        InfoBuilder result = InfoBuilder.of(StatementKind.READ, true, "explain");
        result.absorb(statement);
        result.tablesRead.addAll(result.tablesWritten);
        result.tablesWritten.clear();
        result.tablesComplete = true;
        if (!result.readOnly) {
            result.reason = "explain: " + statement.reason;
        }
        return result;
    }

    /** Reads {@code (option [value], …)}; true when ANALYZE is on. */
    private static boolean analyzeOption(TokenCursor cursor) {
        boolean result = false;
        cursor.next();
        while (!cursor.atEnd() && !cursor.acceptSymbol(")")) {
            Token option = cursor.next();
            if (option.is("analyze") || option.is("analyse")) {
                Token value = cursor.peek();
                boolean off = value != null && (value.is("false") || value.is("off") || value.value().equals("0")
                        || value.is("no"));
                result = !off;
            }
        }
        return result;
    }

    private static String lastName(TokenCursor cursor) {
        String result = null;
        while (!cursor.atEnd()) {
            String name = cursor.name();
            if (name != null) {
                result = name;
            } else {
                cursor.next();
            }
        }
        return result;
    }
}
