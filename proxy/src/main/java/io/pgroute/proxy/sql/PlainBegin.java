package io.pgroute.proxy.sql;

/**
 * A BEGIN whose outcome pgroute can tell without the server, so that it may answer it itself and send it later, in
 * front of the transaction's first request ({@code pool.defer_begin}): only forms PostgreSQL always accepts and that
 * start a read-write transaction on the primary.
 *
 * <pre>
 * {BEGIN [WORK|TRANSACTION] | START TRANSACTION} [ISOLATION LEVEL level] [READ WRITE] [;]
 * level: SERIALIZABLE | REPEATABLE READ | READ COMMITTED | READ UNCOMMITTED
 * </pre>
 *
 * Words are separated by whitespace alone; comments, commas, READ ONLY, DEFERRABLE, a mode given twice and anything
 * else make it a BEGIN the server answers.
 */
public final class PlainBegin {
    /** Longer texts are not such a BEGIN ("start transaction isolation level read uncommitted read write;"). */
    private static final int MAX_LENGTH = 96;

    private PlainBegin() {
    }

    /** The command tag PostgreSQL answers {@code sql} with ({@code BEGIN}, {@code START TRANSACTION}), or null. */
    public static String tag(String sql) {
        if (sql.length() > MAX_LENGTH) {
            return null;
        }
        int at = 0;
        int end = sql.length();
        while (at < end && Lexer.isSpace(sql.charAt(at))) {
            at++;
        }
        while (end > at && Lexer.isSpace(sql.charAt(end - 1))) {
            end--;
        }
        if (end > at && sql.charAt(end - 1) == ';') {
            end--;
            while (end > at && Lexer.isSpace(sql.charAt(end - 1))) {
                end--;
            }
        }
        String tag;
        int next = word(sql, at, end, "begin");  // read in place: most texts end at their first word, unread
        if (next >= 0) {
            tag = "BEGIN";
            int noise = Math.max(word(sql, next, end, "work"), word(sql, next, end, "transaction"));
            at = noise >= 0 ? noise : next;
        } else {
            at = word(sql, word(sql, at, end, "start"), end, "transaction");
            if (at < 0) {
                return null;
            }
            tag = "START TRANSACTION";
        }
        boolean isolation = false;
        boolean readWrite = false;
        while (at < end) {
            int level = isolation ? -1 : word(sql, word(sql, at, end, "isolation"), end, "level");
            if (level >= 0) {
                int read = word(sql, level, end, "read");
                at = Math.max(Math.max(word(sql, level, end, "serializable"),
                                word(sql, word(sql, level, end, "repeatable"), end, "read")),
                        Math.max(word(sql, read, end, "committed"), word(sql, read, end, "uncommitted")));
                isolation = true;
            } else {
                at = readWrite ? -1 : word(sql, word(sql, at, end, "read"), end, "write");
                readWrite = true;
            }
            if (at < 0) {
                return null;
            }
        }
        return tag;
    }

    /**
     * Where the text goes on after {@code word} (lower-case) if {@code sql[at, end)} starts with it, in any case of
     * ASCII letters, followed by the end or by spaces, tabs or line breaks (skipped); -1 if not, or if {@code at} is.
     */
    private static int word(String sql, int at, int end, String word) {
        if (at < 0 || end - at < word.length()) {
            return -1;
        }
        for (int i = 0; i < word.length(); i++) {
            char c = sql.charAt(at + i);
            if ((c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c) != word.charAt(i)) {
                return -1;  // ASCII only, as PostgreSQL folds keywords: no other letter that upper-cases to one
            }
        }
        int next = at + word.length();
        if (next < end && !separates(sql.charAt(next))) {
            return -1;
        }
        while (next < end && separates(sql.charAt(next))) {
            next++;
        }
        return next;
    }

    private static boolean separates(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }
}
