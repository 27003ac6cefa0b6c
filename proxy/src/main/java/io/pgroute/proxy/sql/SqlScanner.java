package io.pgroute.proxy.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL-aware statement splitter, in one pass over the text.
 *
 * <p>Splits on {@code ;} outside comments, literals, quoted identifiers and dollar quotes; drops empty
 * statements; keeps the first {@value #MAX_TOKENS} tokens of each statement for the lexical classifier;
 * collects hint comments from the leading comments only; and produces, per statement, a text for
 * JSqlParser with comments blanked and E-strings / dollar quotes replaced by {@code ''} (their content never
 * matters for routing, and the parser cannot read them). Parentheses are tracked so that a {@code ;} inside
 * {@code CREATE RULE … (…; …)} does not split.
 *
 * <p>In the parser text a long list of literals ({@code IN (1, 2, 3, …)}, {@code VALUES (1, 'a'), (2, 'b'), …},
 * {@code IN ($1, $2, …)}) keeps only its first {@value #KEPT_LITERALS} elements: what is left out names no table and
 * calls no function, so the classification is the same, and JSqlParser's time grows with such a list until it gives
 * up on it (an {@code IN} list of 6 400 numbers took a second) while the parse it abandoned runs on. So does a list
 * whose elements repeat earlier ones token for token, literal values aside: what they name, those named.
 */
public final class SqlScanner {
    /** Tokens kept per statement; lexer-owned statements are short, longer ones are re-tokenized on demand. */
    static final int MAX_TOKENS = 256;
    /** Elements of a run of literal elements in one list that the parser text keeps; the rest are left out. */
    static final int KEPT_LITERALS = 8;

    private SqlScanner() {
    }

    /**
     * One statement of a text.
     *
     * @param text       the statement as written, without the terminating {@code ;}
     * @param parserText the text for JSqlParser
     * @param tokens     its first tokens, comments excluded, offsets relative to {@code text}
     * @param truncated  more tokens follow
     * @param depth      how deep its parentheses nest, at most
     */
    public record Segment(String text, String parserText, List<Token> tokens, boolean truncated, int depth) {

        /** All tokens of the statement (re-tokenizes only when truncated). */
        public List<Token> allTokens() {
            return truncated ? tokenize(text, Integer.MAX_VALUE) : tokens;
        }

        /**
         * All tokens of the statement, comments excluded, for one pass: when it is longer than its kept tokens they
         * are lexed as the pass goes, and no list of them is made (a 30 MB {@code IN} list has 8 million).
         */
        public Iterable<Token> eachToken() {
            if (!truncated) {
                return tokens;
            }
            return () -> new java.util.Iterator<>() {
                private final Lexer lexer = new Lexer(text);
                private Token next = advance();

                private Token advance() {
                    for (Token each = lexer.next(); each != null; each = lexer.next()) {
                        if (each.type() != Token.Type.COMMENT) {
                            return each;
                        }
                    }
                    return null;
                }

                @Override
                public boolean hasNext() {
                    return next != null;
                }

                @Override
                public Token next() {
                    if (next == null) {
                        throw new java.util.NoSuchElementException();
                    }
                    Token result = next;
                    next = advance();
                    return result;
                }
            };
        }

        /** The statement text from the start of {@code token} to its end. */
        public String textFrom(Token token) {
            return text.substring(token.start());
        }
    }

    /**
     * A scanned text.
     *
     * @param statements its non-empty statements
     * @param hints      hints from its leading comments
     */
    public record Scan(List<Segment> statements, Hints hints) {
    }

    /** Splits {@code sql} into statements and reads the hints of its leading comments. */
    public static Scan scan(String sql) {
        Lexer lexer = new Lexer(sql);
        List<Segment> statements = new ArrayList<>();
        Hints hints = Hints.NONE;
        boolean leading = true;
        SegmentBuilder current = new SegmentBuilder(sql);
        for (Token each = lexer.next(); each != null; each = lexer.next()) {
            if (each.type() == Token.Type.COMMENT) {
                hints = leading ? hints.withComment(each.value()) : hints;
                current.comment(each);
                continue;
            }
            leading = false;
            if (each.isSymbol(";") && current.splittable()) {
                current.finish(statements);
                current = new SegmentBuilder(sql);
                continue;
            }
            current.add(each);
        }
        current.finish(statements);
        return new Scan(List.copyOf(statements), hints);
    }

    /**
     * The shape of {@code sql} with its literal values taken out, e.g.
     * {@code update pgbench_accounts set abalance = abalance + ? where aid = ?}: texts with the same shape are
     * classified alike (see {@link Fingerprint} for the normalization), so a report can group by it.
     */
    public static String fingerprint(String sql) {
        return Fingerprint.of(sql).text();
    }

    /** Tokenizes {@code text} (comments excluded), at most {@code max} tokens. */
    public static List<Token> tokenize(String text, int max) {
        Lexer lexer = new Lexer(text);
        List<Token> result = new ArrayList<>();
        for (Token each = lexer.next(); each != null && result.size() < max; each = lexer.next()) {
            if (each.type() != Token.Type.COMMENT) {
                result.add(each);
            }
        }
        return result;
    }

    /** Accumulates one statement: its span, its first tokens and its parser text. */
    private static final class SegmentBuilder {
        private final String sql;
        private final List<Token> tokens = new ArrayList<>();
        private final StringBuilder parserText = new StringBuilder();
        private int start = -1;
        private int end;
        private int copied;
        private boolean truncated;
        private int parens;
        private int maxParens;
        private int atomic;
        private Token previous;
        /** The lists being read, innermost first; the last is the statement itself (its top-level commas). */
        private final java.util.ArrayDeque<ListLevel> lists = new java.util.ArrayDeque<>();

        SegmentBuilder(String sql) {
            this.sql = sql;
            lists.push(new ListLevel());
        }

        void comment(Token comment) {
            if (start >= 0) {
                parserText.append(sql, copied, comment.start()).append(' ');
                copied = comment.end();
            }
        }

        /**
         * Whether a {@code ;} here ends the statement: not inside parentheses (CREATE RULE) nor inside a
         * {@code BEGIN ATOMIC … END} body of CREATE FUNCTION / PROCEDURE (where CASE … END nests too).
         */
        boolean splittable() {
            return parens <= 0 && atomic <= 0;
        }

        private void track(Token token) {
            parens += token.isSymbol("(") ? 1 : token.isSymbol(")") ? -1 : 0;
            maxParens = Math.max(maxParens, parens);
            if (atomic > 0) {
                atomic += token.is("begin") || token.is("case") ? 1 : token.is("end") ? -1 : 0;
            } else if (token.is("atomic") && previous != null && previous.is("begin") && !tokens.isEmpty()
                    && tokens.get(0).is("create")) {
                atomic = 1;
            }
            previous = token;
        }

        void add(Token token) {
            if (start < 0) {
                start = token.start();
                copied = start;
            }
            track(token);
            end = token.end();
            if (token.type() == Token.Type.ESCAPE_STRING || token.type() == Token.Type.DOLLAR_STRING) {
                parserText.append(sql, copied, token.start()).append("''");
                copied = token.end();
            }
            listToken(token);
            if (tokens.size() < MAX_TOKENS) {
                tokens.add(new Token(token.type(), token.value(), token.start() - start, token.end() - start));
            } else {
                truncated = true;
            }
        }

        /** Follows the lists the statement holds, and leaves out of the parser text literal elements past the kept ones. */
        private void listToken(Token token) {
            ListLevel level = lists.peek();
            if (token.isSymbol("(")) {
                level.hasTokens = true;
                level.inCast = false;
                level.shape('(');
                lists.push(new ListLevel());
            } else if (token.isSymbol(")") && lists.size() > 1) {
                endElement(level, token.start());
                lists.pop();
                ListLevel parent = lists.peek();
                parent.elementLiteral &= level.allLiteral;
                parent.shape(level.allLiteral ? "L)" : level.allShape == null ? null : level.allShape.append(')'));
            } else if (token.isSymbol(",")) {
                endElement(level, token.start());
                parserText.append(sql, copied, token.start());
                copied = token.start();
                level.commaMark = parserText.length();
                level.hasTokens = false;
                level.elementLiteral = true;
                level.inCast = false;
                if (level.shape == null) {
                    level.shape = new StringBuilder();
                } else {
                    level.shape.setLength(0);
                }
            } else {
                level.hasTokens = true;
                level.elementLiteral &= isLiteralPart(token, level);
                switch (token.type()) {
                    case NUMBER, STRING, ESCAPE_STRING, DOLLAR_STRING, PARAM -> level.shape('?');
                    // quoted as written: "x y" is one name, x y two, and "T" is not T
                    case QUOTED_IDENT -> level.shape('"').shape(token.value().replace("\"", "\"\"")).shape("\" ");
                    default -> level.shape(token.value()).shape(' ');
                }
            }
        }

        /**
         * The element of {@code level} ending at {@code at} (a comma or the closing parenthesis). Past
         * {@link #KEPT_LITERALS} in a row that are literal or repeat an element before them in the list token for
         * token (literal values aside: {@code (nextval('s'), 'a', now())} in every row of a VALUES list, or
         * {@code abs(1), ceil(2), abs(3), …}), it is left out with the comma before it: what a repeat calls or names,
         * the element it repeats already did.
         */
        private void endElement(ListLevel level, int at) {
            boolean literal = level.hasTokens && level.elementLiteral;
            String shape = literal || level.shape == null ? null : level.shape.toString();
            boolean repeat = shape != null && level.hasTokens
                    && (shape.equals(level.previousShape) || level.seen(shape));
            level.previousShape = shape;
            if (level.allShape != null) {
                String part = literal ? "?" : shape;
                if (part == null || level.allShape.length() + part.length() >= ListLevel.SHAPE_LIMIT) {
                    level.allShape = null;
                } else {
                    level.allShape.append(part).append(',');
                }
            }
            if (!literal) {
                level.allLiteral = false;
            }
            if (!literal && !repeat) {
                level.run = 0;
                return;
            }
            level.run++;
            if (level.run > KEPT_LITERALS && level.commaMark >= 0) {
                parserText.setLength(level.commaMark);
                copied = at;
            }
        }

        /**
         * Whether {@code token} may be part of a literal element: a constant, a parameter, an operator (signs,
         * arithmetic), or a cast to a type ({@code '…'::timestamp with time zone}). A word that is not a type name after {@code ::} (a column, a
         * function) is not: such an element is kept.
         */
        private static boolean isLiteralPart(Token token, ListLevel level) {
            switch (token.type()) {
                case NUMBER, STRING, ESCAPE_STRING, DOLLAR_STRING, PARAM -> {
                    return true;
                }
                case WORD -> {
                    return level.inCast || token.is("null") || token.is("true") || token.is("false")
                            || token.is("default");
                }
                case QUOTED_IDENT -> {
                    return level.inCast;
                }
                case OPERATOR -> {
                    // arithmetic on constants (an operator names no table, and classification reads none)
                    level.inCast = token.value().equals("::");
                    return true;
                }
                case PUNCT -> {
                    return level.inCast && (token.isSymbol(".") || token.isSymbol("[") || token.isSymbol("]"));
                }
                default -> {
                    return false;
                }
            }
        }

        void finish(List<Segment> into) {
            if (start < 0) {
                return;
            }
            if (lists.size() == 1) {
                endElement(lists.peek(), end);  // the statement's last element: a VALUES list's last row
            }
            if (copied < end) {
                parserText.append(sql, copied, end);
            }
            into.add(new Segment(sql.substring(start, end), parserText.toString(), List.copyOf(tokens), truncated,
                    maxParens));
        }
    }

    /** One list being read by {@link SegmentBuilder}: the element under way and the run of literal ones before it. */
    private static final class ListLevel {
        /** Longer shapes are not kept: such an element never counts as a repeat. */
        static final int SHAPE_LIMIT = 512;
        /** The parser text's length at the comma before the element under way; -1: the list's first element. */
        int commaMark = -1;
        boolean hasTokens;
        /** Every token of the element so far can be part of a literal (a nested list counts when all of it is). */
        boolean elementLiteral = true;
        /** The element is in a cast's type name, after {@code ::}. */
        boolean inCast;
        /** Elements in a row, just before the element under way, that are literal or repeat the one before them. */
        int run;
        /** Every element ended so far was literal. */
        boolean allLiteral = true;
        /**
         * The element under way token by token, literal values as {@code ?} (null: longer than {@link #SHAPE_LIMIT}).
         */
        StringBuilder shape = new StringBuilder();
        /** The shape of the element before, if it was not literal and not too long. */
        String previousShape;
        /** The shapes of the list's elements that were not literal, the first {@link #SEEN_LIMIT} distinct ones. */
        private java.util.Set<String> seenShapes;
        static final int SEEN_LIMIT = 64;
        /** The shapes of the list's elements so far, for the element that holds the list (null: too long). */
        StringBuilder allShape = new StringBuilder();

        /** Whether an element of this shape came before in the list; remembers it if not (up to the limit). */
        boolean seen(String elementShape) {
            if (seenShapes == null) {
                seenShapes = new java.util.HashSet<>();
            }
            if (seenShapes.contains(elementShape)) {
                return true;
            }
            if (seenShapes.size() < SEEN_LIMIT) {
                seenShapes.add(elementShape);
            }
            return false;
        }

        ListLevel shape(CharSequence part) {
            if (shape != null) {
                if (part == null || shape.length() + part.length() > SHAPE_LIMIT) {
                    shape = null;
                } else {
                    shape.append(part);
                }
            }
            return this;
        }

        ListLevel shape(char part) {
            if (shape != null) {
                if (shape.length() >= SHAPE_LIMIT) {
                    shape = null;
                } else {
                    shape.append(part);
                }
            }
            return this;
        }
    }
}
