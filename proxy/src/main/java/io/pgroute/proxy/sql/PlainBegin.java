package io.pgroute.proxy.sql;

import java.util.Locale;

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
        int first = 0;
        while (first < sql.length() && Character.isWhitespace(sql.charAt(first))) {
            first++;
        }
        char c0 = first < sql.length() ? sql.charAt(first) : ' ';
        if (c0 != 'b' && c0 != 'B' && c0 != 's' && c0 != 'S') {
            return null;  // most texts end here, without a copy
        }
        String text = sql.strip();
        if (text.endsWith(";")) {
            text = text.substring(0, text.length() - 1).stripTrailing();
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
                return null;
            }
        }
        String[] words = text.toLowerCase(Locale.ROOT).split("[ \t\r\n]+");
        int at;
        String tag;
        if (words[0].equals("begin")) {
            tag = "BEGIN";
            at = 1;
            if (at < words.length && (words[at].equals("work") || words[at].equals("transaction"))) {
                at++;
            }
        } else if (words.length >= 2 && words[0].equals("start") && words[1].equals("transaction")) {
            tag = "START TRANSACTION";
            at = 2;
        } else {
            return null;
        }
        boolean isolation = false;
        boolean readWrite = false;
        while (at < words.length) {
            if (!isolation && at + 2 < words.length && words[at].equals("isolation") && words[at + 1].equals("level")) {
                String level = words[at + 2];
                if (level.equals("serializable")) {
                    at += 3;
                } else if (at + 3 < words.length && (level.equals("repeatable") && words[at + 3].equals("read")
                        || level.equals("read") && (words[at + 3].equals("committed")
                        || words[at + 3].equals("uncommitted")))) {
                    at += 4;
                } else {
                    return null;
                }
                isolation = true;
            } else if (!readWrite && at + 1 < words.length && words[at].equals("read")
                    && words[at + 1].equals("write")) {
                at += 2;
                readWrite = true;
            } else {
                return null;
            }
        }
        return tag;
    }
}
