package io.pgroute.proxy.admin;

import io.pgroute.protocol.SqlState;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses one admin console statement with a small tokenizer: keywords are case-insensitive, whitespace, comments
 * and one trailing semicolon are ignored. Table names are normalized like PostgreSQL does (unquoted: lower-cased;
 * quoted: as written) and lose their schema, as the cache keys tables by unqualified name.
 */
public final class AdminCommandParser {

    /** The commands, for {@code SHOW HELP} and the hint of a syntax error. */
    static final String COMMANDS = "SHOW HELP | VERSION | CONFIG | NODES | POOLS | CLIENTS | SERVERS | CACHE | "
            + "CACHE TABLES | ROUTES | STATS | ERRORS; RESET ROUTES; EXPLAIN ROUTE [FOR <database>] <sql>; "
            + "CACHE INVALIDATE ALL | <table>; KILL CLIENT <id>; RELOAD; PAUSE [db]; RESUME [db]; SHUTDOWN";

    private AdminCommandParser() {
    }

    /** The command {@code sql} stands for; an {@link AdminException} (42601) when it is none. */
    public static AdminCommand parse(String sql) {
        AdminCommand explain = explainRoute(sql);
        if (explain != null) {
            return explain;
        }
        List<Token> tokens = tokenize(sql);
        if (!tokens.isEmpty() && tokens.get(tokens.size() - 1).is(";")) {
            tokens.remove(tokens.size() - 1);
        }
        if (tokens.isEmpty()) {
            return new AdminCommand.Empty();
        }
        Cursor cursor = new Cursor(tokens, sql);
        AdminCommand result = command(cursor);
        cursor.end();
        return result;
    }

    private static AdminCommand command(Cursor cursor) {
        String first = cursor.keyword();
        switch (first) {
            case "SHOW" -> {
                String topic = cursor.keyword();
                if (topic.equals("CACHE") && isWord(cursor.peek(), "TABLES")) {
                    cursor.next();
                    return new AdminCommand.Show(AdminCommand.Topic.CACHE_TABLES);
                }
                for (AdminCommand.Topic each : AdminCommand.Topic.values()) {
                    if (each != AdminCommand.Topic.CACHE_TABLES && each.name().equals(topic)) {
                        return new AdminCommand.Show(each);
                    }
                }
                throw cursor.syntaxError(topic);
            }
            case "CACHE" -> {
                cursor.expect("INVALIDATE");
                Token next = cursor.peek();
                if (next != null && next.kind() == Kind.WORD && next.text().equalsIgnoreCase("ALL")) {
                    cursor.next();
                    return new AdminCommand.InvalidateCache(null);
                }
                return new AdminCommand.InvalidateCache(cursor.tableName());
            }
            case "KILL" -> {
                cursor.expect("CLIENT");
                return new AdminCommand.KillClient(cursor.number());
            }
            case "SHUTDOWN" -> {
                return new AdminCommand.Shutdown();
            }
            case "RELOAD" -> {
                return new AdminCommand.Reload();
            }
            case "PAUSE", "RESUME" -> {
                String database = cursor.peek() == null ? null : cursor.identifier();
                return new AdminCommand.Pause(database, first.equals("PAUSE"));
            }
            case "RESET" -> {
                cursor.expect("ROUTES");
                return new AdminCommand.ResetRoutes();
            }
            case "SET" -> {
                return set(cursor);
            }
            case "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT" -> {
                if (first.equals("START")) {
                    cursor.expect("TRANSACTION");
                }
                while (cursor.peek() != null) {  // WORK, TRANSACTION, isolation level and access mode: all the same
                    cursor.next();
                }
                return switch (first) {
                    case "BEGIN", "START" -> new AdminCommand.Transaction("BEGIN", true);
                    case "COMMIT", "END" -> new AdminCommand.Transaction("COMMIT", false);
                    default -> new AdminCommand.Transaction("ROLLBACK", false);
                };
            }
            default -> throw cursor.syntaxError(first);
        }
    }

    /** {@code SET [SESSION | LOCAL] name {= | TO} value [, …]}: the first value, unquoted. */
    private static AdminCommand set(Cursor cursor) {
        String name = cursor.identifier();
        if ((name.equals("session") || name.equals("local")) && cursor.peek() != null
                && !cursor.peek().is("=") && !cursor.peek().text().equalsIgnoreCase("TO")) {
            name = cursor.identifier();
        }
        Token separator = cursor.next();
        if (separator == null || !(separator.is("=") || separator.text().equalsIgnoreCase("TO"))) {
            throw cursor.syntaxError(separator == null ? "" : separator.text());
        }
        Token value = cursor.next();
        if (value == null) {
            throw cursor.syntaxError("");
        }
        while (cursor.peek() != null) {
            cursor.next();
        }
        return new AdminCommand.Set(name, value.kind() == Kind.WORD ? value.text().toLowerCase(Locale.ROOT)
                : value.text());
    }

    enum Kind { WORD, QUOTED, STRING, SYMBOL }

    record Token(Kind kind, String text) {

        boolean is(String symbol) {
            return kind == Kind.SYMBOL && text.equals(symbol);
        }
    }

    /** Words ({@code [A-Za-z0-9_$]+}), "quoted identifiers", 'strings' and single-character symbols. */
    static List<Token> tokenize(String sql) {
        List<Token> result = new ArrayList<>();
        Scanner scanner = new Scanner(sql);
        for (Token each = scanner.next(); each != null; each = scanner.next()) {
            result.add(each);
        }
        return result;
    }

    /**
     * {@code EXPLAIN ROUTE [FOR <database>] <sql>}, or null when {@code sql} does not start with those keywords.
     * The statement is not tokenized: it is taken verbatim from right after {@code ROUTE} (or the database name),
     * so that its leading hint comments stay, and only surrounding whitespace and one trailing semicolon go.
     */
    private static AdminCommand explainRoute(String sql) {
        Scanner scanner = new Scanner(sql);
        if (!isWord(scanner.next(), "EXPLAIN") || !isWord(scanner.next(), "ROUTE")) {
            return null;
        }
        int start = scanner.position();
        String database = null;
        if (isWord(peek(scanner), "FOR")) {
            scanner.next();
            database = new Cursor(List.of(), sql).identifier(scanner.next());
            start = scanner.position();
        }
        String statement = sql.substring(start).strip();
        if (statement.endsWith(";")) {
            statement = statement.substring(0, statement.length() - 1).strip();
        }
        if (statement.isEmpty()) {
            throw syntax("syntax error at end of input: EXPLAIN ROUTE needs a statement", sql);
        }
        return new AdminCommand.ExplainRoute(database, statement);
    }

    /** The next token without moving on; null at the end or where the text cannot be tokenized. */
    private static Token peek(Scanner scanner) {
        int position = scanner.position();
        try {
            return scanner.next();
        } catch (AdminException e) {
            return null;
        } finally {
            scanner.seek(position);
        }
    }

    private static boolean isWord(Token token, String keyword) {
        return token != null && token.kind() == Kind.WORD && token.text().equalsIgnoreCase(keyword);
    }

    /** Reads tokens one at a time, skipping whitespace and comments, and tells where it stopped. */
    private static final class Scanner {

        private final String sql;
        private int position;

        Scanner(String sql) {
            this.sql = sql;
        }

        int position() {
            return position;
        }

        void seek(int value) {
            position = value;
        }

        /** The next token, or null at the end; the position is then right after it. */
        Token next() {
            int n = sql.length();
            while (position < n) {
                char c = sql.charAt(position);
                if (Character.isWhitespace(c)) {
                    position++;
                } else if (c == '-' && position + 1 < n && sql.charAt(position + 1) == '-') {
                    while (position < n && sql.charAt(position) != '\n') {
                        position++;
                    }
                } else if (c == '/' && position + 1 < n && sql.charAt(position + 1) == '*') {
                    int close = sql.indexOf("*/", position + 2);
                    if (close < 0) {
                        throw syntax("unterminated /* comment", sql);
                    }
                    position = close + 2;
                } else if (c == '"' || c == '\'') {
                    StringBuilder text = new StringBuilder();
                    position = quoted(sql, position, c, text);
                    return new Token(c == '"' ? Kind.QUOTED : Kind.STRING, text.toString());
                } else if (isWordChar(c)) {
                    int start = position;
                    while (position < n && isWordChar(sql.charAt(position))) {
                        position++;
                    }
                    return new Token(Kind.WORD, sql.substring(start, position));
                } else {
                    position++;
                    return new Token(Kind.SYMBOL, String.valueOf(c));
                }
            }
            return null;
        }
    }

    /** Reads a quoted token starting at {@code start}; a doubled quote stands for one. Returns the index after it. */
    private static int quoted(String sql, int start, char quote, StringBuilder text) {
        int i = start + 1;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (c == quote) {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
                    text.append(quote);
                    i += 2;
                    continue;
                }
                if (quote == '"' && text.length() == 0) {
                    throw syntax("zero-length delimited identifier", sql);
                }
                return i + 1;
            }
            text.append(c);
            i++;
        }
        throw syntax("unterminated quoted " + (quote == '"' ? "identifier" : "string"), sql);
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    static AdminException syntax(String message, String sql) {
        return new AdminException(SqlState.SYNTAX_ERROR, message, "admin commands: " + COMMANDS
                + " (SHOW HELP describes them)");
    }

    /** Walks the tokens of one statement. */
    private static final class Cursor {

        private final List<Token> tokens;
        private final String sql;
        private int position;

        Cursor(List<Token> tokens, String sql) {
            this.tokens = tokens;
            this.sql = sql;
        }

        Token peek() {
            return position < tokens.size() ? tokens.get(position) : null;
        }

        Token next() {
            Token result = peek();
            if (result != null) {
                position++;
            }
            return result;
        }

        /** The next token as an upper-case keyword; a syntax error if it is not a word. */
        String keyword() {
            Token token = next();
            if (token == null) {
                throw syntaxError("");
            }
            if (token.kind() != Kind.WORD) {
                throw syntaxError(token.text());
            }
            return token.text().toUpperCase(Locale.ROOT);
        }

        void expect(String keyword) {
            String actual = keyword();
            if (!actual.equals(keyword)) {
                throw syntaxError(actual);
            }
        }

        /** An identifier, normalized: unquoted lower-cased, quoted as written. */
        String identifier() {
            return identifier(next());
        }

        /** {@code token} as an identifier, normalized; a syntax error if it is none. */
        String identifier(Token token) {
            if (token == null) {
                throw syntaxError("");
            }
            return switch (token.kind()) {
                case WORD -> {
                    if (Character.isDigit(token.text().charAt(0))) {
                        throw syntaxError(token.text());
                    }
                    yield token.text().toLowerCase(Locale.ROOT);
                }
                case QUOTED -> token.text();
                default -> throw syntaxError(token.text());
            };
        }

        /** {@code [catalog.][schema.]table}: the table part only. */
        String tableName() {
            String result = identifier();
            int parts = 1;
            while (peek() != null && peek().is(".")) {
                next();
                result = identifier();
                if (++parts > 3) {
                    throw new AdminException(SqlState.SYNTAX_ERROR, "improper qualified name (too many dotted names)");
                }
            }
            return result;
        }

        long number() {
            Token token = next();
            if (token == null || token.kind() != Kind.WORD) {
                throw syntaxError(token == null ? "" : token.text());
            }
            try {
                return Long.parseLong(token.text());
            } catch (NumberFormatException e) {
                throw new AdminException(SqlState.SYNTAX_ERROR, "client id must be a number: " + token.text());
            }
        }

        void end() {
            Token extra = peek();
            if (extra != null) {
                throw syntaxError(extra.text());
            }
        }

        AdminException syntaxError(String near) {
            return syntax(near.isEmpty() ? "syntax error at end of input" : "syntax error at or near \"" + near
                    + "\"", sql);
        }
    }
}
