package io.pgroute.proxy.sql;

import io.netty.util.concurrent.FastThreadLocal;
import java.util.Arrays;

/**
 * The tokens of one text, comments included, lexed once for everyone on the thread who reads that text: a simple
 * Query's text is read by {@link Fingerprint#of} (classification) and then by {@link ParameterizedQuery#of} (its
 * literals as parameters), and lexing it was a third of what each of them cost.
 *
 * <p>{@link #of} keeps the last text's tokens per thread and gives them again for the same {@link String}
 * instance (a message's text is decoded once, so both readers hold that instance). A reader uses the instance it
 * got before it asks for another text's tokens: the next {@link #of} on the thread may overwrite it. Texts longer
 * than {@link #KEPT_LENGTH} are lexed into an instance of their own and not kept.
 */
final class Tokens {
    /** The longest text whose tokens a thread keeps: {@link ParameterizedQuery}'s limit; longer ones rarely repeat. */
    static final int KEPT_LENGTH = ParameterizedQuery.MAX_LENGTH;
    private static final int INITIAL = 32;
    /** Arrays grown beyond this for one long text go back to {@link #INITIAL} for the next. */
    private static final int SHRINK_ABOVE = 1024;
    /** Netty's: an index into the thread's array, where a JDK ThreadLocal probes a hash table (1 µs a lookup here). */
    private static final FastThreadLocal<Tokens> LAST = new FastThreadLocal<>() {
        @Override
        protected Tokens initialValue() {
            return new Tokens();
        }
    };

    private String sql;
    private char[] in;
    private Token.Type[] types = new Token.Type[INITIAL];
    private int[] starts = new int[INITIAL];
    private int[] ends = new int[INITIAL];
    /** Where each token's value is (see {@link Token#value()}); read for comments only. */
    private int[] valueStarts = new int[INITIAL];
    private int[] valueEnds = new int[INITIAL];
    private int count;
    /** Whether any token is a comment. */
    private boolean comments;

    private Tokens() {
    }

    /** The tokens of {@code sql}; see the class comment for how long they stay valid. */
    static Tokens of(String sql) {
        if (sql.length() > KEPT_LENGTH) {
            Tokens own = new Tokens();
            own.lex(sql);
            return own;
        }
        Tokens last = LAST.get();
        if (last.sql != sql) {  // identity: the same decoded text, not an equal one (whose hash would cost a pass)
            last.lex(sql);
        }
        return last;
    }

    private void lex(String text) {
        if (types.length > SHRINK_ABOVE) {
            types = new Token.Type[INITIAL];
            starts = new int[INITIAL];
            ends = new int[INITIAL];
            valueStarts = new int[INITIAL];
            valueEnds = new int[INITIAL];
        }
        sql = null;  // not valid for text until complete: a lexer failure leaves nothing half-kept
        count = 0;
        comments = false;
        Lexer lexer = new Lexer(text);
        in = lexer.chars();
        while (lexer.advance()) {
            if (count == types.length) {
                int size = count * 2;
                types = Arrays.copyOf(types, size);
                starts = Arrays.copyOf(starts, size);
                ends = Arrays.copyOf(ends, size);
                valueStarts = Arrays.copyOf(valueStarts, size);
                valueEnds = Arrays.copyOf(valueEnds, size);
            }
            types[count] = lexer.type();
            comments |= types[count] == Token.Type.COMMENT;
            starts[count] = lexer.start();
            ends[count] = lexer.end();
            valueStarts[count] = lexer.valueStart();
            valueEnds[count] = lexer.valueEnd();
            count++;
        }
        sql = text;
    }

    /** The text. */
    String sql() {
        return sql;
    }

    /** The text's characters; not to be changed. */
    char[] chars() {
        return in;
    }

    int count() {
        return count;
    }

    /**
     * Whether any token is a comment: when none is, {@link #types}, {@link #starts} and {@link #ends} are the
     * significant tokens as they are.
     */
    boolean hasComments() {
        return comments;
    }

    /** The types of tokens {@code [0, count)}; not to be changed, valid as long as this instance is (see class). */
    Token.Type[] types() {
        return types;
    }

    /** Where tokens {@code [0, count)} start; not to be changed. */
    int[] starts() {
        return starts;
    }

    /** Where tokens {@code [0, count)} end; not to be changed. */
    int[] ends() {
        return ends;
    }

    Token.Type type(int i) {
        return types[i];
    }

    int start(int i) {
        return starts[i];
    }

    int end(int i) {
        return ends[i];
    }

    /** A comment's body (see {@link Token#value()}); for comments only. */
    String commentValue(int i) {
        return sql.substring(valueStarts[i], valueEnds[i]);
    }
}
