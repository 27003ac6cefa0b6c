package io.pgroute.proxy.sql;

import java.util.Locale;

/**
 * PostgreSQL lexer: one token per {@link #next()} call, comments included, in one pass over the text.
 * {@link #advance()} moves to the next token without building it ({@link #type()}, {@link #start()},
 * {@link #end()}; {@link #value()} on demand), for the fingerprint, which reads almost every token from the text.
 *
 * <p>Knows nested block comments, {@code --} comments, standard strings with {@code ''}, E-strings with
 * backslash escapes, B/X/N/U&amp; prefixed strings, dollar quotes with tags, quoted identifiers, positional
 * parameters and identifiers containing {@code $}. Unterminated constructs run to the end of the text.
 * Assumes {@code standard_conforming_strings = on} (the default since PostgreSQL 9.1).
 */
final class Lexer {
    private final String text;
    /** The text's characters: reading an array is cheaper than {@link String#charAt} in the scanning loops. */
    private final char[] chars;
    private int pos;
    /** The current token (see {@link #advance}): its type, its extent and where its value's characters are. */
    private Token.Type type;
    private int begin;
    private int valueStart;
    private int valueEnd;

    Lexer(String text) {
        this.text = text;
        this.chars = text.toCharArray();
    }

    /** The next token, or null at the end of the text. */
    Token next() {
        return advance() ? new Token(type, value(), begin, pos) : null;
    }

    /** Moves to the next token without building it; false at the end of the text. */
    boolean advance() {
        skipWhitespace();
        if (pos >= chars.length) {
            return false;
        }
        scan();
        return true;
    }

    /** The text's characters, for reading tokens where they stand; not to be changed. */
    char[] chars() {
        return chars;
    }

    /** The current token's type. */
    Token.Type type() {
        return type;
    }

    /** The offset of the current token's first character. */
    int start() {
        return begin;
    }

    /** The offset after the current token's last character. */
    int end() {
        return pos;
    }

    /** Where the current token's value's characters start (see {@link #value}; a comment's body, a string's). */
    int valueStart() {
        return valueStart;
    }

    /** Where the current token's value's characters end. */
    int valueEnd() {
        return valueEnd;
    }

    /** The current token's value, as {@link Token#value()} defines it. */
    String value() {
        return switch (type) {
            case WORD -> folded(begin, pos);
            case QUOTED_IDENT -> text.substring(valueStart, valueEnd).replace("\"\"", "\"");
            default -> text.substring(valueStart, valueEnd);
        };
    }

    /** Sets the current token, its value being {@code text[valueStart, valueEnd)}, and returns its type. */
    private Token.Type token(Token.Type tokenType, int tokenStart, int from, int to) {
        type = tokenType;
        begin = tokenStart;
        valueStart = from;
        valueEnd = to;
        return tokenType;
    }

    private Token.Type scan() {
        int start = pos;
        char c = chars[pos];
        char d = peek(1);
        if (c == '-' && d == '-') {
            return lineComment(start);
        }
        if (c == '/' && d == '*') {
            return blockComment(start);
        }
        if (c == '\'') {
            return quoted(start, start + 1, '\'', Token.Type.STRING, false);
        }
        if (c == '"') {
            return quoted(start, start + 1, '"', Token.Type.QUOTED_IDENT, false);
        }
        if (c == '$') {
            return dollar(start);
        }
        if (isIdentStart(c)) {
            return word(start);
        }
        if (isDigit(c) || (c == '.' && isDigit(d))) {
            return number(start);
        }
        if ("()[],;.".indexOf(c) >= 0 || (c == ':' && d != ':' && d != '=')) {
            pos++;
            return token(Token.Type.PUNCT, start, start, pos);
        }
        return operator(start);
    }

    private void skipWhitespace() {
        while (pos < chars.length && isSpace(chars[pos])) {
            pos++;
        }
    }

    /**
     * PostgreSQL's white space ({@code space} in its scanner: space, tab, newline, carriage return, form feed,
     * vertical tab), not Java's: a non-ASCII space such as U+00A0 or U+3000 is part of an identifier there, as every
     * character above 0x7F is.
     */
    static boolean isSpace(char c) {
        return c == ' ' || c <= '\r' && c >= '\t';  // \t \n \u000B \f \r
    }

    /** An ASCII digit: PostgreSQL's {@code [0-9]}; other scripts' digits are identifier characters there. */
    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private char peek(int ahead) {
        int at = pos + ahead;
        return at < chars.length ? chars[at] : '\0';
    }

    private Token.Type lineComment(int start) {
        int eol = text.indexOf('\n', start);
        pos = eol < 0 ? chars.length : eol + 1;
        int bodyEnd = eol < 0 ? chars.length : eol;
        return token(Token.Type.COMMENT, start, start + 2, bodyEnd);
    }

    private Token.Type blockComment(int start) {
        int depth = 1;
        pos = start + 2;
        while (pos < chars.length && depth > 0) {
            char c = chars[pos];
            if (c == '/' && peek(1) == '*') {
                depth++;
                pos += 2;
            } else if (c == '*' && peek(1) == '/') {
                depth--;
                pos += 2;
            } else {
                pos++;
            }
        }
        int bodyEnd = depth == 0 ? pos - 2 : pos;
        return token(Token.Type.COMMENT, start, start + 2, bodyEnd);
    }

    /** A literal or identifier delimited by {@code quote}, doubled quote = one; optionally backslash escapes. */
    private Token.Type quoted(int start, int contentStart, char quote, Token.Type type, boolean backslash) {
        pos = contentStart;
        while (pos < chars.length) {
            char c = chars[pos];
            if (backslash && c == '\\') {
                pos += 2;
            } else if (c == quote && peek(1) == quote) {
                pos += 2;
            } else if (c == quote) {
                break;
            } else {
                pos++;
            }
        }
        int contentEnd = Math.min(pos, chars.length);
        pos = Math.min(pos + 1, chars.length);
        return token(type, start, contentStart, contentEnd);
    }

    private Token.Type dollar(int start) {
        char d = peek(1);
        if (isDigit(d)) {
            pos++;
            while (pos < chars.length && isDigit(chars[pos])) {
                pos++;
            }
            return token(Token.Type.PARAM, start, start, pos);
        }
        int tagEnd = start + 1;
        while (tagEnd < chars.length && isTagPart(chars[tagEnd], tagEnd == start + 1)) {
            tagEnd++;
        }
        if (tagEnd >= chars.length || chars[tagEnd] != '$') {
            return operator(start);
        }
        String delimiter = text.substring(start, tagEnd + 1);
        int close = text.indexOf(delimiter, tagEnd + 1);
        int contentEnd = close < 0 ? chars.length : close;
        pos = close < 0 ? chars.length : close + delimiter.length();
        return token(Token.Type.DOLLAR_STRING, start, tagEnd + 1, contentEnd);
    }

    private Token.Type word(int start) {
        pos++;
        while (pos < chars.length && isIdentPart(chars[pos])) {
            pos++;
        }
        int length = pos - start;
        char first = chars[start];
        char next = peek(0);
        if (length == 1 && next == '\'') {
            char prefix = Character.toLowerCase(first);
            if (prefix == 'e') {
                return quoted(start, pos + 1, '\'', Token.Type.ESCAPE_STRING, true);
            }
            if (prefix == 'b' || prefix == 'x' || prefix == 'n') {
                return quoted(start, pos + 1, '\'', Token.Type.STRING, false);
            }
        }
        if (length == 1 && (first == 'u' || first == 'U') && next == '&') {
            char quote = peek(1);
            if (quote == '\'') {
                return quoted(start, pos + 2, '\'', Token.Type.STRING, false);
            }
            if (quote == '"') {
                return quoted(start, pos + 2, '"', Token.Type.QUOTED_IDENT, false);
            }
        }
        return token(Token.Type.WORD, start, start, pos);
    }

    /** Words in nearly every statement: folded to these instances without a new string. */
    private static final String[] KEYWORDS = {"select", "from", "where", "and", "or", "not", "null", "is", "in",
            "as", "on", "set", "update", "insert", "into", "values", "delete", "begin", "commit", "rollback", "end",
            "order", "by", "group", "limit", "offset", "join", "left", "inner", "returning", "with", "count",
            "distinct", "between", "like", "case", "when", "then", "else", "true", "false", "show", "for"};

    /** The word {@code text[start, end)} folded as an unquoted identifier: lower case (the root locale's). */
    private String folded(int start, int end) {
        boolean upper = false;
        for (int i = start; i < end; i++) {
            char c = chars[i];
            if (c >= 'A' && c <= 'Z') {
                upper = true;
            } else if (c >= 0x80) {
                return text.substring(start, end).toLowerCase(Locale.ROOT);
            }
        }
        if (!upper) {
            return text.substring(start, end);
        }
        int length = end - start;
        for (String keyword : KEYWORDS) {
            if (keyword.length() == length && text.regionMatches(true, start, keyword, 0, length)) {
                return keyword;
            }
        }
        return text.substring(start, end).toLowerCase(Locale.ROOT);
    }

    private Token.Type number(int start) {
        pos++;
        while (pos < chars.length) {
            char c = chars[pos];
            boolean exponentSign = (c == '+' || c == '-') && (chars[pos - 1] | 0x20) == 'e'
                    && !text.substring(start, pos).startsWith("0x");
            if (!(isLetterOrDigit(c) || c == '.' || c == '_' || exponentSign)) {
                break;
            }
            pos++;
        }
        return token(Token.Type.NUMBER, start, start, pos);
    }

    private Token.Type operator(int start) {
        pos = start + 1;
        while (pos < chars.length && isOperatorChar(chars[pos])) {
            char c = chars[pos];
            if ((c == '-' && peek(1) == '-') || (c == '/' && peek(1) == '*')) {
                break;
            }
            pos++;
        }
        return token(Token.Type.OPERATOR, start, start, pos);
    }

    /** {@link Character#isLetterOrDigit}, without its table lookup for ASCII (nearly every character of SQL). */
    private static boolean isLetterOrDigit(char c) {
        if (c < 0x80) {
            return (c | 0x20) >= 'a' && (c | 0x20) <= 'z' || c >= '0' && c <= '9';
        }
        return Character.isLetterOrDigit(c);
    }

    private static boolean isIdentStart(char c) {
        return (c | 0x20) >= 'a' && (c | 0x20) <= 'z' || c == '_' || c >= 0x80;  // below 0x80, only ASCII letters
    }

    private static boolean isIdentPart(char c) {
        return isIdentStart(c) || isDigit(c) || c == '$';
    }

    private static boolean isTagPart(char c, boolean first) {
        return first ? isIdentStart(c) : isIdentStart(c) || isDigit(c);
    }

    private static boolean isOperatorChar(char c) {
        return "+-*/<>=~!@#%^&|`?:".indexOf(c) >= 0;
    }
}
