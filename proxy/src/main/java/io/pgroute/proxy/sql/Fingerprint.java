package io.pgroute.proxy.sql;


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
    private static final String PLACEHOLDER = "?";

    /** The fingerprint of {@code sql}. */
    static Fingerprint of(String sql) {
        Lexer lexer = new Lexer(sql);
        Builder builder = new Builder(sql);
        for (Token each = lexer.next(); each != null; each = lexer.next()) {
            builder.add(each);
        }
        return builder.finish();
    }

    /**
     * Whether a statement starting with {@code word} has a classification that depends on a literal's value (see
     * {@link #literalSensitive}): SET, EXPLAIN, DO. Compared, not hashed: the word is a new string each time.
     */
    private static boolean isLiteralSensitive(String word) {
        return word.equals("set") || word.equals("explain") || word.equals("do");
    }

    /** Appends tokens in their normalized form; confined to one {@link #of} call. */
    private static final class Builder {
        private final String sql;
        private final StringBuilder text;
        private Hints hints = Hints.NONE;
        private boolean leading = true;
        private boolean statementStart = true;
        private boolean literals;
        private boolean sensitive;
        /** The last token written, null before the first. */
        private Token previous;
        /** A {@code ;} not yet written: written before the next token, dropped at the end. */
        private Token semicolon;
        /** An operator ending in {@code -} not yet written: it may be the sign of the number that follows. */
        private Token minus;

        Builder(String sql) {
            this.sql = sql;
            this.text = new StringBuilder(sql.length() + 16);
        }

        void add(Token token) {
            if (token.type() == Token.Type.COMMENT) {
                hints = leading ? hints.withComment(token.value()) : hints;
                return;
            }
            if (leading) {
                leading = false;
                String rendered = hints.render();
                text.append(rendered).append(rendered.isEmpty() ? "" : " ");
            }
            flushMinus(token);
            if (token.isSymbol(";")) {
                semicolon = previous == null ? null : token;
                statementStart = true;
                return;
            }
            if (semicolon != null) {
                text.append(';');
                previous = semicolon;
                semicolon = null;
            }
            if (statementStart) {
                sensitive |= token.type() == Token.Type.WORD && isLiteralSensitive(token.value());
                statementStart = false;
            }
            if (mayBeSign(token)) {
                minus = token;
                return;
            }
            write(token);
        }

        /**
         * Writes the held operator before {@code next}: a sign before a number goes into the placeholder,
         * so that {@code + -4211} and {@code + 4211} have one shape; {@code +-} (two operators, as PostgreSQL
         * reads it) keeps its {@code +}.
         */
        private void flushMinus(Token next) {
            if (minus == null) {
                return;
            }
            Token held = minus;
            minus = null;
            if (next == null || next.type() != Token.Type.NUMBER) {
                write(held);
                return;
            }
            String rest = held.value().substring(0, held.value().length() - 1);
            if (!rest.isEmpty()) {
                write(new Token(Token.Type.OPERATOR, rest, held.start(), held.end() - 1));
            }
        }

        /**
         * A {@code -} where an operand is expected (first, or after an operator or an opening bracket or comma),
         * or an operator such as {@code +-} or {@code =-} that PostgreSQL splits before the final {@code -}.
         */
        private boolean mayBeSign(Token token) {
            String value = token.value();
            if (token.type() != Token.Type.OPERATOR || !value.endsWith("-")) {
                return false;
            }
            if (value.length() > 1) {
                return value.chars().noneMatch(each -> "~!@#%^&|`?".indexOf(each) >= 0);
            }
            return previous == null || previous.type() == Token.Type.OPERATOR
                    || (previous.type() == Token.Type.PUNCT && !previous.isSymbol(")") && !previous.isSymbol("]"));
        }

        private void write(Token token) {
            if (previous != null && spaced(previous, token)) {
                text.append(' ');
            }
            switch (token.type()) {
                case NUMBER, ESCAPE_STRING, DOLLAR_STRING -> literal();
                case STRING -> {
                    if (previous != null && previous.is("uescape")) {
                        text.append(sql, token.start(), token.end());
                    } else {
                        literal();
                    }
                }
                case QUOTED_IDENT -> text.append(sql, token.start(), token.end());
                default -> text.append(token.value());
            }
            previous = token;
        }

        private void literal() {
            text.append(PLACEHOLDER);
            literals = true;
        }

        /**
         * Whether a space separates two tokens: none after {@code ( [ .}, before {@code ) [ ] , .}, nor before
         * the {@code (} of a call. The text stays unambiguous: those characters stand alone as tokens and occur in
         * no other token's rendering (except inside quoted identifiers, which delimit themselves).
         */
        private static boolean spaced(Token previous, Token current) {
            if (previous.type() == Token.Type.PUNCT && "([.".contains(previous.value())) {
                return false;
            }
            if (current.isSymbol("(")) {
                return previous.identifier() == null;
            }
            return !(current.type() == Token.Type.PUNCT && ")[],.".contains(current.value()));
        }

        Fingerprint finish() {
            flushMinus(null);
            if (leading) {
                text.append(hints.render());
            }
            return new Fingerprint(text.toString(), literals, sensitive);
        }
    }
}
