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
 * its skeleton stays as short as one row ({@link ConstantRows}). A row with anything else (a function call, a
 * subquery, a name, an operator such as {@code ||}, which a user's function may implement) stays. The
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

    /** The rows of constants of VALUES lists, left out (see the class comment). */
    private final ConstantRows constantRows = new ConstantRows();

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
        length = constantRows.next(b, length);
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

    static boolean isIdentifierByte(int b) {
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
