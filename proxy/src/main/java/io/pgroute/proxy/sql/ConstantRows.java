package io.pgroute.proxy.sql;

/**
 * The rows of a {@code VALUES} list after its first that hold only constants, for {@link QuerySkeleton} to leave out
 * with the comma and white space before them: literals, numbers with their signs, NULL, TRUE, FALSE, DEFAULT, typed
 * literals ({@code date '…'}) and casts to a type of one word. A row with anything else (a function call, a subquery, a
 * name, an operator other than a sign, which a user's function may implement) stays. Reads the bytes that the
 * skeleton reads in its NORMAL state; comments inside a row do not count.
 */
final class ConstantRows {

    /** The skeleton's length, as {@link #next} was given it and returns it. */
    private int skeletonLength;
    /** Parentheses open in the current statement. */
    private int parens;
    /** The {@link #parens} of the VALUES list being read, -1 outside one. */
    private int valuesParens = -1;
    /** Rows of that list begun so far. */
    private int rows;
    /** Where in the skeleton the row before ends (after its parenthesis), -1 if none: where a row is cut from. */
    private int afterRow = -1;
    /** Whether a comma came at the list's level since that row. */
    private boolean comma;
    /** Whether the current row (not the first) holds constants only so far. */
    private boolean rowConstant;
    /** The word being read (lower case, its first {@link #WORD} bytes), its length; -1 when not in a word. */
    private final byte[] word = new byte[WORD];
    private int wordLength = -1;
    /** Whether the word began right after {@code ::} (a type name), and whether it began with a digit. */
    private boolean wordIsType;
    private boolean wordIsNumber;
    private int wordLast;
    /** A '-' or '/' read last: a comment starts if the next byte is the same or '*'; 0 if none. */
    private int pending;
    private boolean pendingSign;
    private int pendingLast;
    private int pendingBeforeLast;
    /** A word that is a constant if a string literal follows: a type ({@code date '…'}), a prefix ({@code E'…'}). */
    private boolean wordBeforeLiteral;
    /** The last two bytes other than white space read in NORMAL state. */
    private int lastSignificant = -1;
    private int beforeLastSignificant = -1;
    private static final int WORD = 8;

    /**
     * Reads byte {@code b} of the text, in NORMAL state (outside literals, quoted names and comments), which the
     * skeleton has just appended, making it {@code length} bytes long; returns the skeleton's length after it: shorter
     * when {@code b} ends a row of constants, which is then left out.
     */
    int next(int b, int length) {
        skeletonLength = length;
        read(b);
        return skeletonLength;
    }

    private void read(int b) {
        if (pending != 0) {
            int first = pending;
            pending = 0;
            if (first == '/' && b == '*' || first == '-' && b == '-') {
                lastSignificant = pendingLast;  // a comment begins: neither byte counts (its text does not come here)
                beforeLastSignificant = pendingBeforeLast;
                return;
            }
            if (!pendingSign) {
                notConstant();  // an operator (see below)
            }
        }
        if (QuerySkeleton.isIdentifierByte(b)) {
            if (wordLength < 0) {
                wordLength = 0;
                wordIsType = lastSignificant == ':' && beforeLastSignificant == ':';
                wordIsNumber = b >= '0' && b <= '9';
                if (wordBeforeLiteral) {
                    notConstant();  // two words in a row: not a typed literal
                }
            }
            if (wordLength < WORD) {
                word[wordLength] = (byte) Character.toLowerCase(b);
            }
            wordLength++;
            wordLast = b;
            return;
        }
        // a sign right after a number's e (1e-5) is the exponent's
        boolean exponent = wordLength >= 0 && wordIsNumber && (wordLast == 'e' || wordLast == 'E');
        if (wordLength >= 0) {
            endWord();
        }
        if (b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f') {
            return;
        }
        if (wordBeforeLiteral) {
            wordBeforeLiteral = false;
            if (b != '\'') {
                notConstant();
            }
        }
        boolean atList = valuesParens >= 0 && parens == valuesParens;
        switch (b) {
            case ';' -> {
                parens = 0;
                valuesParens = -1;
            }
            case '(' -> {
                if (atList) {
                    rowBegins();
                }
                parens++;
            }
            case ')' -> {
                parens--;
                if (valuesParens >= 0 && parens == valuesParens) {
                    rowEnds();
                } else if (parens < valuesParens) {
                    valuesParens = -1;  // the list was in parentheses that close
                }
            }
            case ',' -> comma |= atList;
            case '"' -> notConstant();  // a quoted name
            // in a constant: a decimal point, a cast (::), an array type ([]), a literal
            case '.', ':', '[', ']', '\'' -> {
                if (atList) {
                    valuesParens = -1;
                }
            }
            case '+' -> {
                if (atList) {
                    valuesParens = -1;
                } else if (!exponent && lastSignificant != '(' && lastSignificant != ',') {
                    notConstant();  // not a sign: an operator (see below)
                }
            }
            case '-', '/' -> {  // an operator, a sign, or a comment's start: the next byte says
                if (atList) {
                    valuesParens = -1;
                }
                pending = b;
                pendingSign = b == '-' && (exponent || lastSignificant == '(' || lastSignificant == ',');
                pendingLast = lastSignificant;
                pendingBeforeLast = beforeLastSignificant;
            }
            default -> {
                if (atList) {
                    valuesParens = -1;  // after the list: ON CONFLICT, RETURNING, an operator…
                }
                notConstant();  // an operator other than a sign, which a function may implement
            }
        }
        beforeLastSignificant = lastSignificant;
        lastSignificant = b;
    }

    private void endWord() {
        boolean values = wordLength == 6 && wordIs("values");
        boolean constant = wordIsNumber || wordIsType || word[0] == '$'  // a dollar quote's tag, a parameter
                || wordLength == 4 && (wordIs("null") || wordIs("true"))
                || wordLength == 5 && wordIs("false") || wordLength == 7 && wordIs("default");
        wordLength = -1;
        if (valuesParens >= 0 && parens == valuesParens) {
            valuesParens = -1;  // a word after the list's rows
        }
        if (values) {
            valuesParens = parens;
            rows = 0;
            afterRow = -1;
            comma = false;
        } else if (!constant) {
            wordBeforeLiteral = true;  // a constant only if a string literal follows
        }
        beforeLastSignificant = 'a';
        lastSignificant = 'a';
    }

    private boolean wordIs(String lower) {
        for (int i = 0; i < lower.length(); i++) {
            if (word[i] != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private void rowBegins() {
        rows++;
        rowConstant = rows > 1 && comma && afterRow >= 0;
        comma = false;
    }

    private void rowEnds() {
        if (rowConstant) {
            skeletonLength = afterRow;  // the row, and the comma and white space before it
        }
        rowConstant = false;
        afterRow = skeletonLength;
    }

    private void notConstant() {
        wordBeforeLiteral = false;
        rowConstant = false;
    }
}
