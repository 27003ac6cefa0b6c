package io.pgroute.proxy.sql;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The text of a Query pgroute relays unread (COMPAT L1) with the contents of its long literals left out, built from
 * its bytes as they go by: what the statements do, for pgroute to follow (a write, a SET, a temporary table), without
 * holding the megabytes of a value. A string, E'' or dollar-quoted literal or a comment longer than
 * {@link #KEPT_LITERAL} bytes becomes empty ({@code ''}, {@code $tag$$tag$}, a comment without text); everything else
 * is kept as it came, but for the rows of a {@code VALUES} list after its first that hold only constants (literals,
 * numbers with their signs, NULL, TRUE, FALSE, DEFAULT, casts to a type of one word), which are left out with the comma
 * before them: a bulk {@code INSERT … VALUES (…), (…), …} writes the same table with one row as with a million, and
 * its skeleton stays as short as one row. A row with anything else (a function call, a subquery, a name, an operator
 * such as {@code ||}, which a user's function may implement) stays. The
 * skeleton is given only when it says as much as the text: not when it is longer than its
 * limit, ends inside a literal or comment, or had a literal left out of a statement whose classification reads one
 * (a SET's value, a DO block's code, EXPLAIN's options; the other statements of the Query may be such).
 *
 * <p>Reads bytes as UTF-8 (or any encoding where a byte below 0x80 is that ASCII character): not for a client whose
 * encoding has multi-byte characters with ASCII bytes in them (SJIS, BIG5…). Assumes
 * {@code standard_conforming_strings = on}, as pgroute's lexer does.
 */
public final class QuerySkeleton {

    /** Literal and comment contents up to this many bytes are kept. */
    static final int KEPT_LITERAL = 256;

    private enum State { NORMAL, QUOTED, QUOTED_END, ESCAPE, IDENTIFIER, IDENTIFIER_END,
        LINE_COMMENT, BLOCK_COMMENT, DOLLAR_TAG, DOLLAR }

    private final int maxLength;
    private byte[] out = new byte[256];
    private int length;
    private State state = State.NORMAL;
    private boolean escapes;  // the quoted literal is an E'' one
    private int previous = -1;  // the byte before, in NORMAL and comments
    private int beforePrevious = -1;
    private int depth;  // of nested block comments
    private int contentStart;  // where the current literal's or comment's content starts in out
    private int contentLength;  // bytes of it seen, kept or not
    private byte[] tag = new byte[16];  // the dollar quote's tag, '$' to '$'
    private int tagLength;
    private int tagMatched;  // bytes of the closing tag seen
    private boolean overflow;
    /** Where the current statement starts in out, and whether a literal of it was left out. */
    private int statementStart;
    private boolean statementElided;
    /** The start and end in out of each statement a literal was left out of, in pairs. */
    private int[] elidedStatements = new int[4];
    private int elidedCount;

    // ---- VALUES rows of constants (see the class comment); all of it in NORMAL state, outside literals and comments
    /** Parentheses open in the current statement. */
    private int parens;
    /** The {@link #parens} of the VALUES list being read, -1 outside one. */
    private int valuesParens = -1;
    /** Rows of that list begun so far. */
    private int rows;
    /** Where in out the row before ends (after its parenthesis), -1 if none: where the current row is cut from. */
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
    /** A word that is a constant if a string literal follows it: a type ({@code date '…'}) or a prefix ({@code E'…'}). */
    private boolean wordBeforeLiteral;
    /** The last two bytes other than white space read in NORMAL state. */
    private int lastSignificant = -1;
    private int beforeLastSignificant = -1;
    private static final int WORD = 8;

    /** @param maxLength the longest skeleton given; a longer one is none */
    public QuerySkeleton(int maxLength) {
        this.maxLength = maxLength;
    }

    /** Reads the next bytes of the Query's text (its terminating NUL may be among them). */
    public void feed(ByteBuf bytes) {
        if (overflow) {
            return;
        }
        bytes.forEachByte(bytes.readerIndex(), bytes.readableBytes(), value -> {
            accept(value & 0xFF);
            return !overflow;
        });
    }

    /** The skeleton of everything fed, or null when it would say less than the text (see the class comment). */
    public String finish() {
        if (state == State.QUOTED_END) {
            endContent();
            append('\'');
        } else if (state == State.LINE_COMMENT) {
            endContent();
        } else if (state != State.NORMAL && state != State.IDENTIFIER_END) {
            return null;  // inside a literal, an identifier or a comment: the server will say
        }
        if (overflow) {
            return null;
        }
        int end = length;
        while (end > 0 && out[end - 1] == 0) {
            end--;  // the message's terminating NUL
        }
        endStatement(end);
        for (int i = 0; i < elidedCount; i += 2) {
            String statement = new String(out, elidedStatements[i], elidedStatements[i + 1] - elidedStatements[i],
                    StandardCharsets.UTF_8);
            if (Fingerprint.of(statement).literalSensitive()) {
                return null;
            }
        }
        return new String(out, 0, end, StandardCharsets.UTF_8);
    }

    private void accept(int b) {
        switch (state) {
            case NORMAL -> normal(b);
            case QUOTED -> {
                if (b == '\'') {
                    state = State.QUOTED_END;
                } else {
                    content(b);
                    if (b == '\\' && escapes) {
                        state = State.ESCAPE;
                    }
                }
            }
            case ESCAPE -> {
                content(b);
                state = State.QUOTED;
            }
            case QUOTED_END -> {
                if (b == '\'') {  // '' inside the literal
                    content('\'');
                    content('\'');
                    state = State.QUOTED;
                } else {
                    endContent();
                    append('\'');
                    state = State.NORMAL;
                    previous = '\'';
                    normal(b);
                }
            }
            case IDENTIFIER -> {
                append(b);
                if (b == '"') {
                    state = State.IDENTIFIER_END;
                }
            }
            case IDENTIFIER_END -> {
                if (b == '"') {
                    append(b);
                    state = State.IDENTIFIER;
                } else {
                    state = State.NORMAL;
                    previous = '"';
                    normal(b);
                }
            }
            case LINE_COMMENT -> {
                if (b == '\n') {
                    endContent();
                    append(b);
                    state = State.NORMAL;
                    previous = b;
                } else {
                    content(b);
                }
            }
            case BLOCK_COMMENT -> blockComment(b);
            case DOLLAR_TAG -> dollarTag(b);
            case DOLLAR -> dollar(b);
            default -> throw new IllegalStateException(state.toString());
        }
    }

    /** The statement that started at {@link #statementStart} ends at {@code end} in out. */
    private void endStatement(int end) {
        if (statementElided) {
            if (elidedCount == elidedStatements.length) {
                elidedStatements = Arrays.copyOf(elidedStatements, elidedCount * 2);
            }
            elidedStatements[elidedCount++] = statementStart;
            elidedStatements[elidedCount++] = end;
        }
        statementStart = end;
        statementElided = false;
    }

    private void normal(int b) {
        append(b);
        rowsOf(b);
        if (b == ';') {
            endStatement(length);
        }
        if (b == '\'') {
            escapes = (previous == 'E' || previous == 'e') && !isIdentifierByte(beforePrevious);
            state = State.QUOTED;
            startContent();
        } else if (b == '"') {
            state = State.IDENTIFIER;
        } else if (b == '-' && previous == '-') {
            state = State.LINE_COMMENT;
            startContent();
        } else if (b == '*' && previous == '/') {
            state = State.BLOCK_COMMENT;
            depth = 1;
            previous = -1;
            startContent();
            return;
        } else if (b == '$' && !isIdentifierByte(previous)) {
            state = State.DOLLAR_TAG;
            tag[0] = '$';
            tagLength = 1;
        }
        beforePrevious = previous;
        previous = b;
    }

    /** Follows VALUES lists with byte {@code b}, read in NORMAL state and just appended to out. */
    private void rowsOf(int b) {
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
        if (isIdentifierByte(b)) {
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
        if (rowConstant && !overflow) {
            length = afterRow;  // the row, and the comma and white space before it
        }
        rowConstant = false;
        afterRow = length;
    }

    private void notConstant() {
        wordBeforeLiteral = false;
        rowConstant = false;
    }

    private void blockComment(int b) {
        if (b == '/' && previous == '*' && --depth == 0) {
            // the '*' went in as content: take it back, then close
            if (contentLength <= KEPT_LITERAL) {
                length--;
            } else {
                length = contentStart;
                statementElided = true;
            }
            append('*');
            append('/');
            state = State.NORMAL;
            previous = '/';
            beforePrevious = '*';
            return;
        }
        content(b);
        if (b == '*' && previous == '/') {
            depth++;
            previous = -1;
        } else if (b == '/' && previous == '*') {
            previous = -1;  // an inner comment closed
        } else {
            previous = b;
        }
    }

    private void dollarTag(int b) {
        boolean first = tagLength == 1;
        if (b == '$') {
            append(b);
            addTag(b);
            state = State.DOLLAR;
            tagMatched = 0;
            startContent();
        } else if (first ? isTagStart(b) : isTagByte(b)) {
            append(b);
            addTag(b);
        } else {
            state = State.NORMAL;  // not a dollar quote: a parameter ($1) or an operator
            beforePrevious = -1;
            previous = '$';
            normal(b);
        }
    }

    private void dollar(int b) {
        if (b == tag[tagMatched]) {
            tagMatched++;
            if (tagMatched == tagLength) {
                endContent();
                for (int i = 0; i < tagLength; i++) {
                    append(tag[i]);
                }
                state = State.NORMAL;
                previous = '$';
                beforePrevious = -1;
            }
            return;
        }
        // the bytes matched so far were content after all
        for (int i = 0; i < tagMatched; i++) {
            content(tag[i]);
        }
        tagMatched = 0;
        if (b == tag[0]) {
            tagMatched = 1;
        } else {
            content(b);
        }
    }

    private void addTag(int b) {
        if (tagLength == tag.length) {
            tag = Arrays.copyOf(tag, tag.length * 2);
        }
        tag[tagLength++] = (byte) b;
    }

    private void startContent() {
        contentStart = length;
        contentLength = 0;
    }

    private void content(int b) {
        contentLength++;
        if (contentLength <= KEPT_LITERAL) {
            append(b);
        } else if (contentLength == KEPT_LITERAL + 1) {
            statementElided = true;
            length = contentStart;  // left out: only the quotes stay
        }
    }

    private void endContent() {
        if (contentLength > KEPT_LITERAL) {
            length = contentStart;
        }
    }

    private void append(int b) {
        if (length == maxLength) {
            overflow = true;
            return;
        }
        if (length == out.length) {
            out = Arrays.copyOf(out, Math.min(maxLength, out.length * 2));
        }
        out[length++] = (byte) b;
    }

    private static boolean isIdentifierByte(int b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '$'
                || b >= 0x80;
    }

    private static boolean isTagStart(int b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b >= 0x80;
    }

    private static boolean isTagByte(int b) {
        return isTagStart(b) || b >= '0' && b <= '9';
    }
}
