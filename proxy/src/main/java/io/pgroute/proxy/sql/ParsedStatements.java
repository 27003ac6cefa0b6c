package io.pgroute.proxy.sql;

import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.select.Select;

/**
 * Classification of queries and DML through JSqlParser: SELECT / WITH / VALUES / TABLE and INSERT / UPDATE /
 * DELETE / MERGE. A parse failure never means "read": the statement goes to the primary, not cacheable, with
 * unknown tables, and is counted.
 */
final class ParsedStatements {
    private final QueryParser parser;
    private final Runnable onFailure;

    ParsedStatements(QueryParser parser, Runnable onFailure) {
        this.parser = parser;
        this.onFailure = onFailure;
    }

    /** Classifies one statement; {@code dml} says the lexer saw INSERT/UPDATE/DELETE/MERGE first. */
    InfoBuilder analyze(SqlScanner.Segment segment, boolean dml) {
        Statement statement;
        try {
            statement = parser.parse(segment.parserText());
        } catch (JSQLParserException | RuntimeException failure) {
            onFailure.run();
            InfoBuilder result = InfoBuilder.opaque(dml ? StatementKind.WRITE : StatementKind.UNKNOWN,
                    dml ? "write (parse failure)" : "parse failure");
            result.parsed = false;
            return result;
        }
        TreeWalker tree = new TreeWalker();
        InfoBuilder result;
        if (statement instanceof Select select) {
            tree.select(select);
            result = select(tree);
        } else if (new DmlWalker(tree).statement(statement)) {
            result = InfoBuilder.of(StatementKind.WRITE, false, "write");
        } else {
            return InfoBuilder.opaque(dml ? StatementKind.WRITE : StatementKind.UNKNOWN, "unexpected statement");
        }
        result.tablesRead.addAll(tree.realTablesRead());
        result.tablesWritten.addAll(tree.tablesWritten);
        result.functions.addAll(tree.functions);
        result.lockingClause = tree.lockingClause;
        return result;
    }

    private static InfoBuilder select(TreeWalker tree) {
        if (!tree.intoTables.isEmpty()) {
            InfoBuilder result = InfoBuilder.of(StatementKind.WRITE, false, "select into");
            result.tablesWritten.addAll(tree.intoTables);
            return result;
        }
        if (tree.writableCte) {
            return InfoBuilder.of(StatementKind.WRITE, false, "writable cte");
        }
        if (tree.lockingClause) {
            return InfoBuilder.of(StatementKind.READ, false, "locking clause");
        }
        InfoBuilder result = InfoBuilder.of(StatementKind.READ, true, "read");
        result.cacheable = true;
        return result;
    }
}
