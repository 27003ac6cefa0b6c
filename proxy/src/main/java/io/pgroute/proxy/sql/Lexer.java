package io.pgroute.proxy.sql;

import java.util.Locale;

/**
 * PostgreSQL lexer: one token per {@link #next()} call, comments included, in one pass over the text.
 *
 * <p>Knows nested block comments, {@code --} comments, standard strings with {@code ''}, E-strings with
 * backslash escapes, B/X/N/U&amp; prefixed strings, dollar quotes with tags, quoted identifiers, positional
 * parameters and identifiers containing {@code $}. Unterminated constructs run to the end of the text.
 * Assumes {@code standard_conforming_strings = on} (the default since PostgreSQL 9.1).
 */
final class Lexer {
    private final String text;
    private int pos;

    Lexer(String text) {
        this.text = text;
    }

    /** The next token, or null at the end of the text. */
    Token next() {
        skipWhitespace();
        if (pos >= text.length()) {
            return null;
        }
        int start = pos;
        char c = text.charAt(pos);
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
        if (Character.isDigit(c) || (c == '.' && Character.isDigit(d))) {
            return number(start);
        }
        if ("()[],;.".indexOf(c) >= 0) {
            pos++;
            return new Token(Token.Type.PUNCT, String.valueOf(c), start, pos);
        }
        if (c == ':' && d != ':' && d != '=') {
            pos++;
            return new Token(Token.Type.PUNCT, ":", start, pos);
        }
        return operator(start);
    }

    private void skipWhitespace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private char peek(int ahead) {
        int at = pos + ahead;
        return at < text.length() ? text.charAt(at) : '\0';
    }

    private Token lineComment(int start) {
        int eol = text.indexOf('\n', start);
        pos = eol < 0 ? text.length() : eol + 1;
        int bodyEnd = eol < 0 ? text.length() : eol;
        return new Token(Token.Type.COMMENT, text.substring(start + 2, bodyEnd), start, pos);
    }

    private Token blockComment(int start) {
        int depth = 1;
        pos = start + 2;
        while (pos < text.length() && depth > 0) {
            char c = text.charAt(pos);
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
        return new Token(Token.Type.COMMENT, text.substring(start + 2, bodyEnd), start, pos);
    }

    /** A literal or identifier delimited by {@code quote}, doubled quote = one; optionally backslash escapes. */
    private Token quoted(int start, int contentStart, char quote, Token.Type type, boolean backslash) {
        pos = contentStart;
        while (pos < text.length()) {
            char c = text.charAt(pos);
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
        int contentEnd = Math.min(pos, text.length());
        pos = Math.min(pos + 1, text.length());
        String content = text.substring(contentStart, contentEnd);
        if (type == Token.Type.QUOTED_IDENT) {
            content = content.replace("\"\"", "\"");
        }
        return new Token(type, content, start, pos);
    }

    private Token dollar(int start) {
        char d = peek(1);
        if (Character.isDigit(d)) {
            pos++;
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                pos++;
            }
            return new Token(Token.Type.PARAM, text.substring(start, pos), start, pos);
        }
        int tagEnd = start + 1;
        while (tagEnd < text.length() && isTagPart(text.charAt(tagEnd), tagEnd == start + 1)) {
            tagEnd++;
        }
        if (tagEnd >= text.length() || text.charAt(tagEnd) != '$') {
            return operator(start);
        }
        String delimiter = text.substring(start, tagEnd + 1);
        int close = text.indexOf(delimiter, tagEnd + 1);
        int contentEnd = close < 0 ? text.length() : close;
        pos = close < 0 ? text.length() : close + delimiter.length();
        return new Token(Token.Type.DOLLAR_STRING, text.substring(tagEnd + 1, contentEnd), start, pos);
    }

    private Token word(int start) {
        pos++;
        while (pos < text.length() && isIdentPart(text.charAt(pos))) {
            pos++;
        }
        int length = pos - start;
        char first = text.charAt(start);
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
        return new Token(Token.Type.WORD, folded(start, pos), start, pos);
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
            char c = text.charAt(i);
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

    private Token number(int start) {
        pos++;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            boolean exponentSign = (c == '+' || c == '-') && (text.charAt(pos - 1) | 0x20) == 'e'
                    && !text.substring(start, pos).startsWith("0x");
            if (!(Character.isLetterOrDigit(c) || c == '.' || c == '_' || exponentSign)) {
                break;
            }
            pos++;
        }
        return new Token(Token.Type.NUMBER, text.substring(start, pos), start, pos);
    }

    private Token operator(int start) {
        pos = start + 1;
        while (pos < text.length() && isOperatorChar(text.charAt(pos))) {
            char c = text.charAt(pos);
            if ((c == '-' && peek(1) == '-') || (c == '/' && peek(1) == '*')) {
                break;
            }
            pos++;
        }
        return new Token(Token.Type.OPERATOR, text.substring(start, pos), start, pos);
    }

    private static boolean isIdentStart(char c) {
        return Character.isLetter(c) || c == '_' || c >= 0x80;
    }

    private static boolean isIdentPart(char c) {
        return isIdentStart(c) || Character.isDigit(c) || c == '$';
    }

    private static boolean isTagPart(char c, boolean first) {
        return first ? isIdentStart(c) : isIdentStart(c) || Character.isDigit(c);
    }

    private static boolean isOperatorChar(char c) {
        return "+-*/<>=~!@#%^&|`?:".indexOf(c) >= 0;
    }
}
