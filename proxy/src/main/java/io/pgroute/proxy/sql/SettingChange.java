package io.pgroute.proxy.sql;

/**
 * The target of a SET or RESET, for session-state replay.
 *
 * <p>{@code name} is the normalized parameter name ({@code SET TIME ZONE} → {@code timezone},
 * {@code SET NAMES} → {@code client_encoding}, {@code SET SCHEMA} → {@code search_path},
 * {@code SET TRANSACTION …} → {@code transaction}, {@code SET SESSION CHARACTERISTICS AS TRANSACTION …} →
 * {@code session_characteristics}, {@code RESET ALL} → {@code all}). {@code value} is the raw text after
 * {@code TO}/{@code =} as written, or null for DEFAULT and RESET.
 *
 * @param name  normalized parameter name
 * @param value value text as written, null for DEFAULT / RESET
 * @param local SET LOCAL (or SET TRANSACTION, SET CONSTRAINTS and SET transaction_isolation, transaction_read_only,
 *              transaction_deferrable, which only last for the transaction)
 */
public record SettingChange(String name, String value, boolean local) {
}
