package io.pgroute.proxy.sql;

import java.util.List;
import java.util.Set;

/**
 * Classifies one statement: the lexer first (everything JSqlParser cannot read), JSqlParser for queries and
 * DML, then {@link FunctionPolicy} over the functions and relations found.
 */
final class StatementAnalyzer {
    private static final Set<String> PARSED = Set.of("select", "with", "values", "table");
    private static final Set<String> DML = Set.of("insert", "update", "delete", "merge");

    private final ParsedStatements parsed;
    private final FunctionPolicy policy;

    StatementAnalyzer(ParsedStatements parsed, FunctionPolicy policy) {
        this.parsed = parsed;
        this.policy = policy;
    }

    /** Classifies a text that holds one statement (the body of PREPARE, DECLARE, EXPLAIN, COPY). */
    InfoBuilder analyzeText(String text) {
        List<SqlScanner.Segment> segments = SqlScanner.scan(text).statements();
        if (segments.size() != 1) {
            return InfoBuilder.opaque(StatementKind.UNKNOWN, "unexpected embedded statement");
        }
        return analyze(segments.get(0));
    }

    InfoBuilder analyze(SqlScanner.Segment segment) {
        Token first = segment.tokens().get(0);
        boolean dml = DML.contains(first.value()) && first.type() == Token.Type.WORD;
        InfoBuilder result;
        if (dml || first.isSymbol("(") || (first.type() == Token.Type.WORD && PARSED.contains(first.value()))) {
            result = parsed.analyze(segment, dml);
            policy.apply(result, segment.eachToken());
            if (intoTemporaryTable(segment.tokens())) {
                // SELECT … INTO TEMP t creates a table only this server connection has (COMPAT T9)
                result.primary("select into temp table");
                result.kind = StatementKind.WRITE;
                result.reason = "select into temp table";
                result.pinsTemporary();
            }
        } else {
            result = lexical(segment);
        }
        return result;
    }

    /**
     * {@code INTO TEMP|TEMPORARY} or {@code INTO [TABLE] pg_temp.t} outside parentheses: a SELECT that creates a
     * temporary table.
     */
    private static boolean intoTemporaryTable(List<Token> tokens) {
        int depth = 0;
        for (int i = 0; i + 1 < tokens.size(); i++) {
            Token each = tokens.get(i);
            if (each.isSymbol("(")) {
                depth++;
            } else if (each.isSymbol(")")) {
                depth--;
            } else if (depth == 0 && each.is("into")) {
                if (i > 0 && (tokens.get(i - 1).is("insert") || tokens.get(i - 1).is("merge"))) {
                    return false;  // INSERT INTO pg_temp.t, [WITH …] INSERT INTO temp (a table named temp): rows
                }
                int at = i + 1;
                if (tokens.get(at).is("local") || tokens.get(at).is("global")) {
                    at++;
                }
                if (at < tokens.size() && (tokens.get(at).is("temp") || tokens.get(at).is("temporary"))) {
                    return true;
                }
                if (at < tokens.size() && tokens.get(at).is("unlogged")) {
                    at++;
                }
                if (at < tokens.size() && tokens.get(at).is("table")) {
                    at++;
                }
                return at + 1 < tokens.size() && tokens.get(at).identifier() != null
                        && Names.isTemporarySchema(tokens.get(at).identifier()) && tokens.get(at + 1).isSymbol(".");
            }
        }
        return false;
    }

    private InfoBuilder lexical(SqlScanner.Segment segment) {
        TokenCursor cursor = new TokenCursor(segment.allTokens());
        InfoBuilder result = TransactionStatements.analyze(cursor);
        if (result == null) {
            result = SessionStatements.analyze(cursor, segment);
        }
        if (result == null) {
            result = EmbeddingStatements.analyze(cursor, segment, this::analyzeText);
            if (result != null) {
                policy.apply(result, List.of());
            }
        }
        if (result == null) {
            result = DdlStatements.analyze(cursor);
        }
        if (result == null) {
            Token first = segment.tokens().get(0);
            String what = first.isString() || first.type() == Token.Type.NUMBER ? "literal" : first.value();
            result = InfoBuilder.opaque(StatementKind.UNKNOWN, "unknown statement " + what);
        }
        return result;
    }
}
