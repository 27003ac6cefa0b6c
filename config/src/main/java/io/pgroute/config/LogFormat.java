package io.pgroute.config;

/** How log lines are written ({@code logging.format}). */
public enum LogFormat {
    /** Human-readable lines; the default. */
    TEXT,
    /** One JSON object per line, for log shippers. */
    JSON
}
