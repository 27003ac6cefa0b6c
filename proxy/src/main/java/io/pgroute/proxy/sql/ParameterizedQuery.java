package io.pgroute.proxy.sql;

import java.util.Arrays;

/**
 * A simple-protocol Query with its number literals taken out as parameters, so that the server can run it as a
 * prepared statement, parsed and planned once for every text of its shape ({@code aid = 84512} and
 * {@code aid = 11} are both {@code aid = $1}). pgbench {@code -M simple}, psql and many ORMs send values as literals.
 *
 * <p>Only where a parameter of the literal's own type means exactly what the literal means; everything else stays
 * as written:
 * <ul>
 *   <li>statements that start with SELECT (not SELECT INTO), INSERT, UPDATE or DELETE, one per text;</li>
 *   <li>plain decimal numbers ({@code 42}, {@code 4.5}; not {@code 1e3}, {@code 0x1F}, {@code 1_000}), with a
 *       minus sign that makes them negative, typed as PostgreSQL types the literal: {@code int4} when the value
 *       fits, else {@code int8}, else {@code numeric}; with a point, {@code numeric};</li>
 *   <li>right of a comparison or arithmetic operator ({@code = <> != < > <= >= + - * / %}), or as an element of
 *       an {@code IN (…)} list or a {@code VALUES (…)} row; never in a select list, {@code ORDER BY 1} (a column
 *       position), {@code LIMIT}, a function's arguments, a type's modifiers or before {@code ::} and {@code [};</li>
 *   <li>strings never: an untyped parameter and an untyped string literal are not resolved alike everywhere.</li>
 * </ul>
 *
 * @param original       the client's text
 * @param text           the text to prepare, with {@code $1 … $n} in place of the literals
 * @param parameterTypes the type OID of each parameter
 * @param values         each parameter's value in text format (the literal as written, with its sign)
 * @param returnsRows    whether the statement may return rows (SELECT, or RETURNING): a prepared statement that
 *                       does can fail with 0A000 after a table it reads changes shape, which the Query never would
 * @param spans          per parameter: its literal's start and end in {@code original}, and where its {@code $n}
 *                       starts in {@code text}
 */
public record ParameterizedQuery(String original, String text, int[] parameterTypes, String[] values,
                                 boolean returnsRows, int[] spans) {

    /** {@code int4}, {@code int8} and {@code numeric}. */
    public static final int INT4 = 23;
    public static final int INT8 = 20;
    public static final int NUMERIC = 1700;

    /**
     * Parameters at most, and text length at most: a longer text (a bulk INSERT of literal rows) rarely repeats, and
     * would only crowd out the shapes that do.
     */
    static final int MAX_PARAMETERS = 1000;
    static final int MAX_LENGTH = 16_384;

    /** Words that may follow a parameter without changing how the statement parses. */
    private static final String[] FOLLOWING_WORDS = {"and", "or", "then", "else", "end", "when", "where",
        "group", "order", "limit", "offset", "having", "union", "except", "intersect", "from", "returning", "on",
        "for", "window", "fetch"};
    /** Words after which a {@code -} is a sign, not a subtraction (a keyword, not a column). */
    private static final String[] WORDS_BEFORE_SIGN = {"select", "where", "and", "or", "not", "then",
        "else", "when", "case", "limit", "offset", "by", "values", "set", "on", "having", "returning", "in",
        "between", "like", "is", "distinct", "all", "any", "some", "as", "return", "from", "using", "with"};

    /** The position the server gave in an error about {@link #text} (1-based, in characters), in the client's text. */
    public int clientPosition(int position) {
        if (position < 1) {
            return position;
        }
        int offset;
        try {
            offset = text.offsetByCodePoints(0, Math.min(position - 1, text.codePointCount(0, text.length())));
        } catch (IndexOutOfBoundsException outside) {
            return position;
        }
        int shift = 0;  // original offset minus text offset, before the parameter at hand
        for (int i = 0; i < parameterTypes.length; i++) {
            int originalStart = spans[3 * i];
            int originalEnd = spans[3 * i + 1];
            int textStart = spans[3 * i + 2];
            int textEnd = textStart + 1 + digits(i + 1);
            if (offset < textStart) {
                break;
            }
            if (offset < textEnd) {
                return original.codePointCount(0, originalStart) + 1;
            }
            shift = originalEnd - textEnd;
        }
        int mapped = Math.max(0, Math.min(original.length(), offset + shift));
        return original.codePointCount(0, mapped) + 1;
    }

    private static int digits(int number) {
        return Integer.toString(number).length();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ParameterizedQuery that && original.equals(that.original) && text.equals(that.text)
                && Arrays.equals(parameterTypes, that.parameterTypes) && Arrays.equals(values, that.values)
                && returnsRows == that.returnsRows && Arrays.equals(spans, that.spans);
    }

    @Override
    public int hashCode() {
        return original.hashCode() * 31 + text.hashCode();
    }

    @Override
    public String toString() {
        return "ParameterizedQuery[" + text + ", values=" + Arrays.toString(values) + "]";
    }

    /**
     * Whether {@code sql} is one INSERT, UPDATE or DELETE without RETURNING: a statement without a result, which
     * PostgreSQL runs as a prepared statement even after its table changed shape (it refuses one only when its
     * result type changed).
     */
    public static boolean returnsNoRows(String sql) {
        Tokens tokens = Tokens.of(sql);
        char[] in = tokens.chars();
        boolean first = true;
        boolean ended = false;
        for (int i = 0, count = tokens.count(); i < count; i++) {
            Token.Type type = tokens.type(i);
            if (type == Token.Type.COMMENT) {
                continue;
            }
            if (ended) {
                return false;  // a second statement
            }
            int start = tokens.start(i);
            int length = tokens.end(i) - start;
            if (first) {
                first = false;
                if (type != Token.Type.WORD || !(sql.regionMatches(true, start, "insert", 0, length) && length == 6
                        || sql.regionMatches(true, start, "update", 0, length) && length == 6
                        || sql.regionMatches(true, start, "delete", 0, length) && length == 6)) {
                    return false;
                }
            } else if (type == Token.Type.WORD && length == 9
                    && sql.regionMatches(true, start, "returning", 0, 9)) {
                return false;
            } else if (type == Token.Type.PUNCT && in[start] == ';') {
                ended = true;
            }
        }
        return !first;
    }

    /** {@code sql} with its literals as parameters, or null when none can be (see the class comment). */
    public static ParameterizedQuery of(String sql) {
        return sql.length() > MAX_LENGTH ? null : new Builder(sql).build();
    }

    /**
     * One {@link #of} call: the text's significant tokens (comments left out; the lexing is shared with the
     * fingerprint, see {@link Tokens}), then one pass over them.
     */
    private static final class Builder {
        private final String sql;
        private final char[] in;
        /** The significant tokens: the thread's {@link Tokens} arrays themselves when the text has no comment. */
        private Token.Type[] types;
        private int[] starts;
        private int[] ends;
        private int count;

        Builder(String sql) {
            this.sql = sql;
            Tokens tokens = Tokens.of(sql);
            this.in = tokens.chars();
            if (!tokens.hasComments()) {
                // read in place, not copied: three arrays less per statement (they were a sixth of the bytes
                // pgroute allocated per TPC-B transaction); nothing here asks for another text's tokens
                types = tokens.types();
                starts = tokens.starts();
                ends = tokens.ends();
                count = tokens.count();
                return;
            }
            types = new Token.Type[32];
            starts = new int[32];
            ends = new int[32];
            for (int i = 0, all = tokens.count(); i < all; i++) {
                Token.Type type = tokens.type(i);
                if (type != Token.Type.COMMENT) {
                    add(type, tokens.start(i), tokens.end(i));
                    if (count == 1 && !startsWell()) {
                        return;  // not a statement this takes literals from: the rest is not read
                    }
                }
            }
        }

        /** Whether the first token is SELECT, INSERT, UPDATE or DELETE. */
        private boolean startsWell() {
            return isWord(0, "select") || isWord(0, "insert") || isWord(0, "update") || isWord(0, "delete");
        }

        private void add(Token.Type type, int start, int end) {
            if (count == types.length) {
                types = Arrays.copyOf(types, count * 2);
                starts = Arrays.copyOf(starts, count * 2);
                ends = Arrays.copyOf(ends, count * 2);
            }
            types[count] = type;
            starts[count] = start;
            ends[count] = end;
            count++;
        }

        ParameterizedQuery build() {
            if (count == 0 || !startsWell()) {
                return null;
            }
            boolean select = isWord(0, "select");
            boolean returnsRows = select;
            int last = count - 1;
            if (isPunct(last, ';')) {
                last--;
            }
            for (int i = 0; i <= last; i++) {
                Token.Type type = types[i];
                if (type == Token.Type.PARAM || isPunct(i, ';')) {
                    return null;  // $n in a simple Query is the server's error to give; one statement only
                }
                if (type == Token.Type.WORD) {
                    returnsRows |= isWord(i, "returning");
                    if (select && isWord(i, "into")) {
                        return null;  // SELECT INTO creates a table
                    }
                }
            }
            return parameterize(last, returnsRows);
        }

        private ParameterizedQuery parameterize(int last, boolean returnsRows) {
            boolean[] listParens = new boolean[8];  // per bracket depth: a list whose elements may be parameters
            int depth = 0;
            int valuesDepth = -1;  // the depth of a VALUES whose rows are still coming
            StringBuilder text = null;
            int copied = 0;
            int[] parameterTypes = new int[4];
            String[] values = new String[4];
            int[] spans = new int[12];
            int parameters = 0;
            for (int i = 0; i <= last; i++) {
                Token.Type type = types[i];
                if (type == Token.Type.PUNCT) {
                    char c = in[starts[i]];
                    if (c == '(' || c == '[') {
                        boolean list = c == '(' && i > 0 && (isWord(i - 1, "in") || isWord(i - 1, "values")
                                || (isPunct(i - 1, ',') && depth == valuesDepth));
                        depth++;
                        if (depth == listParens.length) {
                            listParens = Arrays.copyOf(listParens, depth * 2);
                        }
                        listParens[depth] = list;
                    } else if (c == ')' || c == ']') {
                        if (depth == valuesDepth) {
                            valuesDepth = -1;
                        }
                        depth = Math.max(0, depth - 1);
                    }
                    continue;
                }
                if (type == Token.Type.WORD) {
                    if (isWord(i, "values")) {
                        valuesDepth = depth;
                    } else if (depth == valuesDepth) {
                        valuesDepth = -1;  // ON CONFLICT, RETURNING, …: the rows have ended
                    }
                    continue;
                }
                if (type != Token.Type.NUMBER) {
                    continue;
                }
                int literalStart = literalStart(i, listParens[depth]);
                if (literalStart < 0 || !followedWell(i, last, listParens[depth])) {
                    continue;
                }
                boolean signed = literalStart != starts[i];
                String value = signed ? "-" + sql.substring(starts[i], ends[i]) : sql.substring(starts[i], ends[i]);
                int oid = typeOf(value, signed ? 1 : 0);
                if (oid == 0) {
                    continue;
                }
                if (parameters == MAX_PARAMETERS) {
                    return null;
                }
                if (text == null) {
                    text = new StringBuilder(sql.length() + 8);
                }
                text.append(sql, copied, literalStart);
                if (parameters == parameterTypes.length) {
                    parameterTypes = Arrays.copyOf(parameterTypes, parameters * 2);
                    values = Arrays.copyOf(values, parameters * 2);
                    spans = Arrays.copyOf(spans, parameters * 6);
                }
                spans[3 * parameters] = literalStart;
                spans[3 * parameters + 1] = ends[i];
                spans[3 * parameters + 2] = text.length();
                parameterTypes[parameters] = oid;
                values[parameters] = value;
                parameters++;
                text.append('$').append(parameters);
                copied = ends[i];
            }
            if (text == null) {
                return null;
            }
            text.append(sql, copied, sql.length());
            return new ParameterizedQuery(sql, text.toString(), Arrays.copyOf(parameterTypes, parameters),
                    Arrays.copyOf(values, parameters), returnsRows, Arrays.copyOf(spans, 3 * parameters));
        }

        /**
         * Where the literal at token {@code i} starts, its sign included, or -1 when it stands where a parameter
         * might not mean the same: it must follow a comparison or arithmetic operator, or open or continue a list.
         */
        private int literalStart(int i, boolean inList) {
            if (i == 0) {
                return -1;
            }
            int before = i - 1;
            int start = starts[i];
            if (isOperator(before, "-") && isSign(before)) {
                start = starts[before];
                before--;
                if (before < 0) {
                    return -1;
                }
            }
            if (types[before] == Token.Type.OPERATOR) {
                return isComparisonOrArithmetic(starts[before], ends[before]) ? start : -1;
            }
            return inList && (isPunct(before, '(') || isPunct(before, ',')) ? start : -1;
        }

        /** Whether the {@code -} at token {@code i} is a sign: no operand (a column, a value, a bracket) before it. */
        private boolean isSign(int i) {
            if (i == 0) {
                return true;
            }
            return switch (types[i - 1]) {
                case OPERATOR -> true;
                case PUNCT -> in[starts[i - 1]] != ')' && in[starts[i - 1]] != ']';
                case WORD -> isAnyWord(i - 1, WORDS_BEFORE_SIGN);
                default -> false;
            };
        }

        /** Whether what follows the literal at token {@code i} leaves a parameter in its place parsed alike. */
        private boolean followedWell(int i, int last, boolean inList) {
            if (i == last) {
                return true;
            }
            int next = i + 1;
            if (isPunct(next, ',') || isPunct(next, ')')) {
                return true;
            }
            if (inList) {
                return false;
            }
            if (isPunct(next, ';')) {
                return true;
            }
            if (types[next] == Token.Type.OPERATOR) {
                return in[starts[next]] != ':';  // not a cast
            }
            return isAnyWord(next, FOLLOWING_WORDS);
        }

        /** {@code = <> != < > <= >= + - * / %}: the operator {@code in[start, end)}. */
        private boolean isComparisonOrArithmetic(int start, int end) {
            char c = in[start];
            if (end - start == 1) {
                return "=<>+-*/%".indexOf(c) >= 0;
            }
            if (end - start != 2) {
                return false;
            }
            char d = in[start + 1];
            return d == '=' && (c == '<' || c == '>' || c == '!') || c == '<' && d == '>';
        }

        private boolean isAnyWord(int i, String[] words) {
            for (String word : words) {
                if (isWord(i, word)) {
                    return true;
                }
            }
            return false;
        }

        /** Whether token {@code i} is the unquoted word {@code word} (lower-case ASCII), in any case. */
        private boolean isWord(int i, String word) {
            int start = starts[i];
            if (types[i] != Token.Type.WORD || ends[i] - start != word.length()) {
                return false;
            }
            for (int k = 0; k < word.length(); k++) {
                if ((in[start + k] | 0x20) != word.charAt(k)) {
                    return false;
                }
            }
            return true;
        }

        private boolean isPunct(int i, char c) {
            return types[i] == Token.Type.PUNCT && in[starts[i]] == c;
        }

        private boolean isOperator(int i, String operator) {
            return i >= 0 && types[i] == Token.Type.OPERATOR && ends[i] - starts[i] == operator.length()
                    && sql.startsWith(operator, starts[i]);
        }
    }

    /**
     * The type PostgreSQL gives the number literal {@code value} (its sign, if any, is {@code digitsFrom} long), or
     * 0 when it is not a plain decimal number.
     */
    static int typeOf(String value, int digitsFrom) {
        int points = 0;
        int digits = 0;
        int significant = -1;  // where the digits start, leading zeros left out
        for (int i = digitsFrom; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '.') {
                points++;
            } else if (c >= '0' && c <= '9') {
                digits++;
                if (significant < 0 && c != '0') {
                    significant = i;
                }
            } else {
                return 0;
            }
        }
        if (digits == 0 || points > 1) {
            return 0;
        }
        if (points == 1) {
            return NUMERIC;
        }
        if (significant < 0 || value.length() - significant <= 18) {
            long magnitude = significant < 0 ? 0 : Long.parseLong(value, significant, value.length(), 10);
            long signed = digitsFrom > 0 ? -magnitude : magnitude;
            return signed >= Integer.MIN_VALUE && signed <= Integer.MAX_VALUE ? INT4 : INT8;
        }
        try {
            Long.parseLong(value.substring(0, digitsFrom) + value.substring(significant));
            return INT8;
        } catch (NumberFormatException tooBig) {
            return NUMERIC;
        }
    }
}
