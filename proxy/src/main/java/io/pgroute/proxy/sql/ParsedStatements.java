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
    /**
     * Statements whose parentheses nest deeper than this are not given to JSqlParser: its time grows exponentially
     * with nested subqueries (10 levels of {@code IN (SELECT …)} took half a second, 15 took 13 s), and a parse it
     * gives up on runs on, holding one of the parser threads. Such a statement goes to the primary.
     */
    static final int MAX_PARSE_DEPTH = 10;
    /** Null: this instance never parses, it throws {@link NeedsParser} instead. */
    private final QueryParser parser;
    private final Runnable onFailure;

    ParsedStatements(QueryParser parser, Runnable onFailure) {
        this.parser = parser;
        this.onFailure = onFailure;
    }

    /** An instance that throws {@link NeedsParser} where JSqlParser would run: for what the lexer alone classifies. */
    static ParsedStatements lexicalOnly() {
        return new ParsedStatements(null, () -> { });
    }

    /**
     * Classifies one statement; {@code dml} says the lexer saw INSERT/UPDATE/DELETE/MERGE first. Throws
     * {@link NeedsParser} from a {@link #lexicalOnly()} instance.
     */
    InfoBuilder analyze(SqlScanner.Segment segment, boolean dml) {
        if (parser == null) {
            throw NeedsParser.INSTANCE;
        }
        if (segment.depth() > MAX_PARSE_DEPTH) {
            return failure(dml, "nested too deep");
        }
        Statement statement;
        try {
            statement = parser.parse(segment.parserText());
        } catch (QueryParser.Busy busy) {
            throw busy;  // no verdict: the classifier does not remember it
        } catch (JSQLParserException | RuntimeException | StackOverflowError failure) {
            return failure(dml, "parse failure");
        }
        TreeWalker tree = new TreeWalker();
        InfoBuilder result;
        try {
            if (statement instanceof Select select) {
                tree.select(select);
                result = select(tree);
            } else if (new DmlWalker(tree).statement(statement)) {
                result = InfoBuilder.of(StatementKind.WRITE, false, "write");
            } else {
                return InfoBuilder.opaque(dml ? StatementKind.WRITE : StatementKind.UNKNOWN, "unexpected statement");
            }
        } catch (StackOverflowError tooDeep) {
            // a chain of thousands of ORs is a tree that deep; the stack unwound, nothing is left half done
            return failure(dml, "nested too deep");
        }
        result.tablesRead.addAll(tree.realTablesRead());
        result.tablesWritten.addAll(tree.tablesWritten);
        result.functions.addAll(tree.functions);
        result.lockingClause = tree.lockingClause;
        return result;
    }

    /** A statement pgroute could not read: primary, not cacheable, its tables unknown; counted. */
    private InfoBuilder failure(boolean dml, String why) {
        onFailure.run();
        InfoBuilder result = InfoBuilder.opaque(dml ? StatementKind.WRITE : StatementKind.UNKNOWN,
                dml ? "write (" + why + ")" : why);
        result.parsed = false;
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

    /** The statement needs JSqlParser, which a {@link #lexicalOnly()} instance does not run. */
    static final class NeedsParser extends RuntimeException {
        static final NeedsParser INSTANCE = new NeedsParser();

        private NeedsParser() {
            super("needs the parser", null, false, false);
        }
    }
}
