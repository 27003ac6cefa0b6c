package io.pgroute.proxy.sql;

import java.util.List;

/** A read position in one statement's tokens, for the lexical classifiers. */
final class TokenCursor {
    private final List<Token> tokens;
    private int index;

    TokenCursor(List<Token> tokens) {
        this.tokens = tokens;
    }

    boolean atEnd() {
        return index >= tokens.size();
    }

    /** The current token, or null at the end. */
    Token peek() {
        return peek(0);
    }

    Token peek(int ahead) {
        int at = index + ahead;
        return at < tokens.size() ? tokens.get(at) : null;
    }

    /** True when the current token is the unquoted word {@code word}. */
    boolean at(String word) {
        Token token = peek();
        return token != null && token.is(word);
    }

    /** Consumes the current token. Returns it, or null at the end. */
    Token next() {
        Token result = peek();
        if (result != null) {
            index++;
        }
        return result;
    }

    /** Consumes the word if it is current. */
    boolean accept(String word) {
        if (at(word)) {
            index++;
            return true;
        }
        return false;
    }

    /** Consumes the symbol if it is current. */
    boolean acceptSymbol(String symbol) {
        Token token = peek();
        if (token != null && token.isSymbol(symbol)) {
            index++;
            return true;
        }
        return false;
    }

    /** Consumes a sequence of words only if all of them come next. */
    boolean acceptAll(String... words) {
        for (int i = 0; i < words.length; i++) {
            Token token = peek(i);
            if (token == null || !token.is(words[i])) {
                return false;
            }
        }
        index += words.length;
        return true;
    }

    /** Consumes a possibly qualified name ({@code a.b.c}), normalized; null if no identifier is current. */
    String name() {
        Token token = peek();
        if (token == null || token.identifier() == null) {
            return null;
        }
        StringBuilder result = new StringBuilder(next().identifier());
        while (peek() != null && peek().isSymbol(".") && peek(1) != null && peek(1).identifier() != null) {
            index++;
            result.append('.').append(next().identifier());
        }
        return result.toString();
    }

    /** Skips a balanced parenthesized group if one is current. */
    void skipParentheses() {
        if (peek() == null || !peek().isSymbol("(")) {
            return;
        }
        int depth = 0;
        do {
            Token token = next();
            depth += token.isSymbol("(") ? 1 : token.isSymbol(")") ? -1 : 0;
        } while (depth > 0 && !atEnd());
    }
}
