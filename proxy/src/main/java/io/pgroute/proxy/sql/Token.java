package io.pgroute.proxy.sql;

/**
 * One lexical token of PostgreSQL SQL.
 *
 * <p>{@code value}: WORD lower-cased; QUOTED_IDENT without quotes, {@code ""} undoubled; STRING the raw
 * content between the delimiters; COMMENT the body without delimiters; others the text as written.
 * {@code start}/{@code end} are offsets into the scanned text.
 *
 * @param type  token type
 * @param value normalized value
 * @param start offset of the first character
 * @param end   offset after the last character
 */
public record Token(Type type, String value, int start, int end) {

    /** Token types. */
    public enum Type {
        /** Unquoted identifier or keyword. */
        WORD,
        /** "Quoted identifier" (also U&amp;"…"). */
        QUOTED_IDENT,
        /** '…' literal, including B'', X'', N'', U&amp;''. */
        STRING,
        /** E'…' literal with backslash escapes. */
        ESCAPE_STRING,
        /** $$…$$ or $tag$…$tag$ literal. */
        DOLLAR_STRING,
        /** Numeric literal. */
        NUMBER,
        /** Positional parameter $n. */
        PARAM,
        /** Operator characters. */
        OPERATOR,
        /** One of ( ) [ ] , . ; : */
        PUNCT,
        /** -- or (nested) /* comment. */
        COMMENT
    }

    /** True when this is the unquoted word {@code word} (lower-case). */
    public boolean is(String word) {
        return type == Type.WORD && value.equals(word);
    }

    /** True when this is the punctuation or operator {@code symbol}. */
    public boolean isSymbol(String symbol) {
        return (type == Type.PUNCT || type == Type.OPERATOR) && value.equals(symbol);
    }

    /** True for the three kinds of string literal. */
    public boolean isString() {
        return type == Type.STRING || type == Type.ESCAPE_STRING || type == Type.DOLLAR_STRING;
    }

    /** Identifier as PostgreSQL folds it: WORD lower-cased, QUOTED_IDENT as written, else null. */
    public String identifier() {
        return type == Type.WORD || type == Type.QUOTED_IDENT ? value : null;
    }
}
