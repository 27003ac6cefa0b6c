package io.pgroute.localcluster;

/** Quoting of names and values spliced into SQL that cannot take bind parameters (CREATE ROLE, CREATE DATABASE). */
final class SqlText {

    private SqlText() {
    }

    /** A quoted identifier: {@code "na""me"}. */
    static String identifier(String name) {
        if (name == null || name.isEmpty() || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a valid SQL name: " + name);
        }
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** A standard-conforming string literal: {@code 'it''s'}. */
    static String literal(String value) {
        if (value == null || value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a valid SQL string");
        }
        return "'" + value.replace("'", "''") + "'";
    }
}
