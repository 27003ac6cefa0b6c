package io.pgroute.proxy.sql;

import java.util.Set;

/**
 * Lexical classification of DDL and utility commands, all of which go to the primary.
 *
 * <p>Written tables are named for TRUNCATE, DROP TABLE, ALTER TABLE and CREATE TABLE (so that a cache can
 * invalidate just those); for other DDL {@code tablesComplete} is false. VACUUM, ANALYZE, CHECKPOINT, CLUSTER,
 * REINDEX and LOAD change no query result: UTILITY with nothing written. LOAD pins the session (the only UTILITY
 * that does), its library named as the target.
 */
final class DdlStatements {
    private static final Set<String> DDL = Set.of("create", "alter", "drop", "truncate", "grant", "revoke",
            "comment", "security", "refresh", "reassign", "import");
    private static final Set<String> UTILITY = Set.of("vacuum", "analyze", "analyse", "checkpoint", "cluster",
            "reindex");

    private DdlStatements() {
    }

    /** The classification, or null when the statement is none of these. */
    static InfoBuilder analyze(TokenCursor cursor) {
        Token first = cursor.peek();
        if (first == null || first.type() != Token.Type.WORD) {
            return null;
        }
        String word = first.value();
        if (word.equals("load")) {
            // a library loaded into the server process stays there: neither a rollback nor DISCARD ALL unloads it,
            // so the session keeps that connection, and it is not pooled again (COMPAT T9)
            cursor.next();
            Token library = cursor.peek();
            return InfoBuilder.of(StatementKind.UTILITY, false, "load")
                    .target(library == null ? null : library.value()).pins();
        }
        if (UTILITY.contains(word)) {
            return InfoBuilder.of(StatementKind.UTILITY, false, word);
        }
        if (word.equals("do")) {
            // a block that may change a session setting (set_config(…, false), SET, RESET) changes it for the
            // server connection, where pgroute cannot track it: the session stays there (COMPAT G4)
            return changesSettings(cursor)
                    ? InfoBuilder.opaque(StatementKind.WRITE, "do block that may change settings").pins()
                    : InfoBuilder.opaque(StatementKind.WRITE, "do block");
        }
        if (word.equals("call")) {
            return InfoBuilder.opaque(StatementKind.WRITE, "call");
        }
        if (word.equals("lock")) {
            cursor.next();
            cursor.accept("table");
            return names(cursor, InfoBuilder.of(StatementKind.WRITE, false, "lock"), false);
        }
        if (!DDL.contains(word)) {
            return null;
        }
        cursor.next();
        return switch (word) {
            case "create" -> create(cursor);
            case "truncate" -> {
                cursor.accept("table");
                yield names(cursor, InfoBuilder.of(StatementKind.WRITE, false, "truncate"), true);
            }
            // any DROP may drop the session's last temporary object (SessionPins asks the server)
            case "drop" -> (cursor.accept("table") ? drop(cursor) : InfoBuilder.opaque(StatementKind.WRITE, "ddl"))
                    .removes();
            case "alter" -> cursor.accept("table") ? alter(cursor) : InfoBuilder.opaque(StatementKind.WRITE, "ddl");
            default -> InfoBuilder.opaque(StatementKind.WRITE, "ddl");
        };
    }

    /** Words after which a PL/pgSQL statement starts. */
    private static final Set<String> STATEMENT_STARTS = Set.of("begin", "then", "else", "loop", "do");

    /**
     * Whether a DO block's code (a string) may change a session setting: it calls set_config, runs SET or RESET as
     * a statement, or EXECUTEs a string that does. Lexical, so it errs towards yes.
     */
    private static boolean changesSettings(TokenCursor cursor) {
        for (int ahead = 1; cursor.peek(ahead) != null; ahead++) {
            Token each = cursor.peek(ahead);
            if (each.isString() && codeChangesSettings(each.value(), 0)) {
                return true;
            }
        }
        return false;
    }

    private static boolean codeChangesSettings(String code, int depth) {
        Lexer lexer = new Lexer(code);
        Token previous = null;
        for (Token token = lexer.next(); token != null; token = lexer.next()) {
            if (token.type() == Token.Type.COMMENT) {
                continue;
            }
            boolean statementStart = previous == null || previous.isSymbol(";")
                    || previous.type() == Token.Type.WORD && STATEMENT_STARTS.contains(previous.value());
            if (token.is("set_config") || statementStart && (token.is("set") || token.is("reset"))) {
                return true;
            }
            if (token.isString() && depth < 2 && codeChangesSettings(token.value(), depth + 1)) {
                return true;  // EXECUTE 'SET …', format('SET %I …')
            }
            previous = token;
        }
        return false;
    }

    private static InfoBuilder create(TokenCursor cursor) {
        boolean temporary = false;
        while (cursor.accept("global") || cursor.accept("local") || cursor.accept("unlogged")
                || cursor.accept("or") || cursor.accept("replace")) {
            continue;
        }
        if (cursor.accept("temp") || cursor.accept("temporary")) {
            temporary = true;
        }
        cursor.accept("unlogged");
        if (!cursor.accept("table")) {
            temporary |= namesTemporarySchema(cursor);
            InfoBuilder result = InfoBuilder.opaque(StatementKind.WRITE, temporary ? "create temp object" : "ddl");
            return temporary ? result.pinsTemporary() : result;
        }
        cursor.acceptAll("if", "not", "exists");
        InfoBuilder result = InfoBuilder.of(StatementKind.WRITE, false, temporary ? "create temp table" : "ddl");
        String name = cursor.name();
        if (name == null) {
            result.tablesComplete = false;
        } else {
            result.tablesWritten.add(name);
            if (!temporary && Names.inTemporarySchema(name)) {
                temporary = true;  // CREATE TABLE pg_temp.t: a temporary table
                result.reason = "create temp table";
            }
        }
        // ON COMMIT DROP: the table ends with the transaction, which keeps its server connection anyway (COMPAT T9)
        return temporary && !dropsAtCommit(cursor) ? result.pinsTemporary() : result;
    }

    /** How many tokens after the object type a CREATE names its object: {@code FUNCTION pg_temp.f}. */
    private static final int NAME_WITHIN = 8;

    /**
     * Whether a CREATE of something other than a table names its object in the session's temporary schema
     * ({@code CREATE FUNCTION pg_temp.f()}, {@code CREATE VIEW pg_temp.v}): a temporary object. Looks at the first
     * few tokens without consuming them, up to a parenthesis or AS.
     */
    private static boolean namesTemporarySchema(TokenCursor cursor) {
        for (int ahead = 0; ahead < NAME_WITHIN; ahead++) {
            Token token = cursor.peek(ahead);
            if (token == null || token.isSymbol("(") || token.is("as")) {
                return false;
            }
            Token dot = cursor.peek(ahead + 1);
            if (token.identifier() != null && Names.isTemporarySchema(token.identifier()) && dot != null
                    && dot.isSymbol(".")) {
                return true;
            }
        }
        return false;
    }

    /** Whether the rest of a CREATE TABLE has {@code ON COMMIT DROP} outside parentheses; reads it to the end. */
    private static boolean dropsAtCommit(TokenCursor cursor) {
        int depth = 0;
        Token beforeLast = null;
        Token last = null;
        while (!cursor.atEnd()) {
            Token token = cursor.next();
            if (token.isSymbol("(")) {
                depth++;
            } else if (token.isSymbol(")")) {
                depth--;
            } else if (depth == 0) {
                if (token.is("drop") && last != null && last.is("commit") && beforeLast != null
                        && beforeLast.is("on")) {
                    return true;
                }
                if (token.is("as")) {
                    return false;  // the query of CREATE TABLE … AS comes after the table's options
                }
                beforeLast = last;
                last = token;
            }
        }
        return false;
    }

    private static InfoBuilder drop(TokenCursor cursor) {
        cursor.acceptAll("if", "exists");
        InfoBuilder result = names(cursor, InfoBuilder.of(StatementKind.WRITE, false, "ddl"), true);
        while (!cursor.atEnd()) {
            if (cursor.next().is("cascade")) {
                result.tablesComplete = false;
            }
        }
        return result;
    }

    private static InfoBuilder alter(TokenCursor cursor) {
        cursor.acceptAll("if", "exists");
        cursor.accept("only");
        InfoBuilder result = InfoBuilder.of(StatementKind.WRITE, false, "ddl");
        String name = cursor.name();
        if (name == null || cursor.acceptAll("rename", "to") || cursor.at("set")) {
            result.tablesComplete = false;
        }
        if (name != null) {
            result.tablesWritten.add(name);
        }
        return result;
    }

    /** {@code [ONLY] name [*] [, …]} into tablesWritten (or nowhere for LOCK, which changes no data). */
    private static InfoBuilder names(TokenCursor cursor, InfoBuilder result, boolean written) {
        do {
            cursor.accept("only");
            String name = cursor.name();
            if (name == null) {
                result.tablesComplete = false;
                return result;
            }
            if (written) {
                result.tablesWritten.add(name);
            }
            cursor.acceptSymbol("*");
        } while (cursor.acceptSymbol(","));
        return result;
    }
}
