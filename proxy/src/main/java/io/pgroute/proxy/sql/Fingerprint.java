package io.pgroute.proxy.sql;

import java.util.Arrays;
import java.util.Locale;

/**
 * The shape of a SQL text: what is left when literal values are taken out. Two texts with the same shape get the
 * same classification, so the classifier caches by shape and pgbench's endless distinct texts become 7 entries.
 *
 * <p>Built from the lexer's tokens in one pass: every numeric, string, E'', U&amp;'', B''/X''/N'' and
 * dollar-quoted literal (function bodies too) becomes {@code ?}, together with a minus sign that makes a number
 * negative ({@code = -1}, {@code , -1}); {@code $n} parameters stay; unquoted words are lower-cased, quoted
 * identifiers kept as written with their quotes; comments go, except that the hints of the leading comments come
 * first in canonical form ({@code /* pgroute: primary *&#47;}); tokens are separated by one space, none around
 * brackets, commas and dots; empty statements and a trailing {@code ;} go.
 *
 * <pre>
 * UPDATE pgbench_accounts SET abalance = abalance + -4211 WHERE aid = 84512;
 *   → update pgbench_accounts set abalance = abalance + ? where aid = ?
 * </pre>
 *
 * @param text             the normalized text
 * @param literals         at least one literal was replaced (else the text is its own shape)
 * @param literalSensitive a statement whose classification reads a literal: SET keeps its value in
 *                         {@link StatementInfo#setting()}, EXPLAIN reads {@code (ANALYZE 0)}, DO reads its code
 *                         (a block that changes settings pins the session); such texts must not share a
 *                         classification by shape
 */
record Fingerprint(String text, boolean literals, boolean literalSensitive) {
    private static final char PLACEHOLDER = '?';

    /** Written out: a record's generated equals and hashCode cost more, and classification looks a shape up by it. */
    @Override
    public boolean equals(Object other) {
        return other instanceof Fingerprint that && literals == that.literals
                && literalSensitive == that.literalSensitive && text.equals(that.text);
    }

    @Override
    public int hashCode() {
        return text.hashCode() * 4 + (literals ? 2 : 0) + (literalSensitive ? 1 : 0);
    }

    /** The fingerprint of {@code sql}. */
    static Fingerprint of(String sql) {
        Tokens tokens = Tokens.of(sql);
        Builder builder = new Builder(sql, tokens);
        for (int i = 0, count = tokens.count(); i < count; i++) {
            builder.add(i, tokens.type(i), tokens.start(i), tokens.end(i));
        }
        return builder.finish();
    }

    /**
     * Appends tokens in their normalized form, read from the text where they stand (a token is its type and its
     * extent {@code [start, end)}; no token object or substring is made for it); confined to one {@link #of} call.
     */
    private static final class Builder {
        private final String sql;
        private final char[] in;
        private final Tokens tokens;
        /** The normalized text so far: {@code out[0, length)}. */
        private char[] out;
        private int length;
        private Hints hints = Hints.NONE;
        private boolean leading = true;
        private boolean statementStart = true;
        private boolean literals;
        private boolean sensitive;
        /** The last token written: its type (null before the first) and extent. */
        private Token.Type previous;
        private int previousStart;
        private int previousEnd;
        /** Where a {@code ;} not yet written stands (-1: none): written before the next token, dropped at the end. */
        private int semicolon = -1;
        /** An operator ending in {@code -} not yet written (-1: none): it may be the sign of the number that follows. */
        private int minusStart = -1;
        private int minusEnd;

        Builder(String sql, Tokens tokens) {
            this.sql = sql;
            this.in = tokens.chars();
            this.tokens = tokens;
            this.out = new char[sql.length() + 16];
        }

        /** Adds token {@code index} of {@link #tokens}: its type and extent. */
        void add(int index, Token.Type type, int start, int end) {
            if (type == Token.Type.COMMENT) {
                hints = leading ? hints.withComment(tokens.commentValue(index)) : hints;
                return;
            }
            if (leading) {
                leading = false;
                String rendered = hints.render();
                if (!rendered.isEmpty()) {
                    append(rendered);
                    append(' ');
                }
            }
            flushMinus(type);
            if (type == Token.Type.PUNCT && in[start] == ';') {
                semicolon = previous == null ? -1 : start;
                statementStart = true;
                return;
            }
            if (semicolon >= 0) {
                append(';');
                remember(Token.Type.PUNCT, semicolon, semicolon + 1);
                semicolon = -1;
            }
            if (statementStart) {
                sensitive |= type == Token.Type.WORD && isLiteralSensitive(start, end);
                statementStart = false;
            }
            if (mayBeSign(type, start, end)) {
                minusStart = start;
                minusEnd = end;
                return;
            }
            write(type, start, end);
        }

        /**
         * Whether a statement starting with the word {@code sql[start, end)} has a classification that depends on
         * a literal's value (see {@link #literalSensitive}): SET, EXPLAIN, DO.
         */
        private boolean isLiteralSensitive(int start, int end) {
            return foldedIs(start, end, "set") || foldedIs(start, end, "explain") || foldedIs(start, end, "do");
        }

        /** Whether the unquoted word {@code sql[start, end)}, folded, is {@code word} (lower-case ASCII). */
        private boolean foldedIs(int start, int end, String word) {
            if (end - start != word.length()) {
                return false;
            }
            for (int i = start; i < end; i++) {
                char c = in[i];
                if (c >= 0x80) {
                    return sql.substring(start, end).toLowerCase(Locale.ROOT).equals(word);
                }
                if (lower(c) != word.charAt(i - start)) {
                    return false;
                }
            }
            return true;
        }

        /**
         * Writes the held operator before a token of type {@code next} (null at the end): a sign before a number
         * goes into the placeholder, so that {@code + -4211} and {@code + 4211} have one shape; {@code +-} (two
         * operators, as PostgreSQL reads it) keeps its {@code +}.
         */
        private void flushMinus(Token.Type next) {
            if (minusStart < 0) {
                return;
            }
            int start = minusStart;
            minusStart = -1;
            if (next != Token.Type.NUMBER) {
                write(Token.Type.OPERATOR, start, minusEnd);
            } else if (minusEnd - 1 > start) {
                write(Token.Type.OPERATOR, start, minusEnd - 1);
            }
        }

        /**
         * A {@code -} where an operand is expected (first, or after an operator or an opening bracket or comma),
         * or an operator such as {@code +-} or {@code =-} that PostgreSQL splits before the final {@code -}.
         */
        private boolean mayBeSign(Token.Type type, int start, int end) {
            if (type != Token.Type.OPERATOR || in[end - 1] != '-') {
                return false;
            }
            if (end - start > 1) {
                for (int i = start; i < end; i++) {
                    if ("~!@#%^&|`?".indexOf(in[i]) >= 0) {
                        return false;
                    }
                }
                return true;
            }
            return previous == null || previous == Token.Type.OPERATOR
                    || (previous == Token.Type.PUNCT && in[previousStart] != ')'
                    && in[previousStart] != ']');
        }

        private void write(Token.Type type, int start, int end) {
            if (previous != null && spaced(type, start)) {
                append(' ');
            }
            switch (type) {
                case NUMBER, ESCAPE_STRING, DOLLAR_STRING -> literal();
                case STRING -> {
                    if (previous == Token.Type.WORD && foldedIs(previousStart, previousEnd, "uescape")) {
                        appendSource(start, end);
                    } else {
                        literal();
                    }
                }
                case WORD -> appendFolded(start, end);
                default -> appendSource(start, end);  // quoted identifiers as written, operators, $n, punctuation
            }
            remember(type, start, end);
        }

        private void remember(Token.Type type, int start, int end) {
            previous = type;
            previousStart = start;
            previousEnd = end;
        }

        /** Appends the unquoted word {@code sql[start, end)} folded as PostgreSQL folds it (see {@link Lexer}). */
        private void appendFolded(int start, int end) {
            int at = length;
            appendSource(start, end);
            for (int i = at; i < length; i++) {
                char c = out[i];
                if (c >= 0x80) {
                    length = at;
                    append(sql.substring(start, end).toLowerCase(Locale.ROOT));
                    return;
                }
                out[i] = lower(c);
            }
        }

        private void append(char c) {
            reserve(1);
            out[length++] = c;
        }

        private void append(String value) {
            reserve(value.length());
            value.getChars(0, value.length(), out, length);
            length += value.length();
        }

        /** Appends {@code sql[start, end)} as it stands. */
        private void appendSource(int start, int end) {
            reserve(end - start);
            System.arraycopy(in, start, out, length, end - start);
            length += end - start;
        }

        private void reserve(int more) {
            if (length + more > out.length) {
                out = Arrays.copyOf(out, Math.max(out.length * 2, length + more));
            }
        }

        private static char lower(char c) {
            return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
        }

        private void literal() {
            append(PLACEHOLDER);
            literals = true;
        }

        /**
         * Whether a space separates the previous token from one of type {@code type} at {@code start}: none after
         * {@code ( [ .}, before {@code ) [ ] , .}, nor before the {@code (} of a call. The text stays unambiguous:
         * those characters stand alone as tokens and occur in no other token's rendering (except inside quoted
         * identifiers, which delimit themselves).
         */
        private boolean spaced(Token.Type type, int start) {
            if (previous == Token.Type.PUNCT && "([.".indexOf(in[previousStart]) >= 0) {
                return false;
            }
            if (type != Token.Type.PUNCT) {
                return true;
            }
            char c = in[start];
            if (c == '(') {
                return previous != Token.Type.WORD && previous != Token.Type.QUOTED_IDENT;
            }
            return ")[],.".indexOf(c) < 0;
        }

        Fingerprint finish() {
            flushMinus(null);
            if (leading) {
                append(hints.render());
            }
            return new Fingerprint(new String(out, 0, length), literals, sensitive);
        }
    }
}
