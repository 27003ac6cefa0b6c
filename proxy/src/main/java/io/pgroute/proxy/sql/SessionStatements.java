package io.pgroute.proxy.sql;

import java.util.Locale;
import java.util.Set;

/**
 * Lexical classification of session commands: SET, RESET, SHOW, DISCARD, LISTEN, UNLISTEN, NOTIFY.
 *
 * <p>SET and RESET run anywhere (the session layer replays them on every connection) except the few that a
 * hot standby refuses: {@code transaction_read_only = off}, {@code SET TRANSACTION READ WRITE} and serializable
 * isolation (R2). SHOW of parameters that differ per node ({@code in_hot_standby}, {@code transaction_read_only};
 * {@code server_version} on a replica of another minor release)
 * goes to the primary so that the client sees one consistent server.
 */
final class SessionStatements {
    private static final Set<String> NODE_LOCAL_PARAMETERS = Set.of("in_hot_standby", "transaction_read_only",
            "default_transaction_read_only", "hot_standby", "primary_conninfo", "primary_slot_name", "all",
            "server_version", "server_version_num");

    /**
     * Parameters that only ever apply to the current transaction (outside a block, the implicit one of the SET
     * itself), whatever the SET says: PostgreSQL sets them afresh at each transaction's start from the
     * {@code default_…} ones. Replayed as session settings they would change other transactions, and a standby
     * refuses {@code transaction_isolation = serializable} and {@code transaction_read_only = off} (COMPAT G2).
     */
    private static final Set<String> TRANSACTION_PARAMETERS = Set.of("transaction_isolation", "transaction_read_only",
            "transaction_deferrable", "constraints");

    private SessionStatements() {
    }

    /** The classification, or null when the statement is none of these. */
    static InfoBuilder analyze(TokenCursor cursor, SqlScanner.Segment segment) {
        if (cursor.accept("set")) {
            return set(cursor, segment);
        }
        if (cursor.accept("reset")) {
            return reset(cursor);
        }
        if (cursor.accept("show")) {
            String name = parameterName(cursor);
            boolean nodeLocal = name == null || NODE_LOCAL_PARAMETERS.contains(name);
            return InfoBuilder.of(StatementKind.SHOW, !nodeLocal, nodeLocal ? "node-local parameter" : "show")
                    .target(name);
        }
        if (cursor.accept("discard")) {
            Token what = cursor.next();
            return InfoBuilder.of(StatementKind.DISCARD, true, "discard").target(what == null ? null : what.value());
        }
        if (cursor.accept("listen")) {
            return InfoBuilder.of(StatementKind.LISTEN, false, "listen").target(cursor.name()).pins();
        }
        if (cursor.accept("unlisten")) {
            String channel = cursor.acceptSymbol("*") ? "*" : cursor.name();
            return InfoBuilder.of(StatementKind.UNLISTEN, true, "unlisten").target(channel);
        }
        if (cursor.accept("notify")) {
            return InfoBuilder.of(StatementKind.NOTIFY, false, "notify").target(cursor.name());
        }
        return null;
    }

    private static InfoBuilder set(TokenCursor cursor, SqlScanner.Segment segment) {
        boolean local = cursor.accept("local");
        if (!local) {
            cursor.accept("session");
        }
        if (cursor.accept("transaction")) {
            InfoBuilder result = InfoBuilder.of(StatementKind.SET, true, "session setting");
            result.setting = new SettingChange("transaction", rest(cursor, segment), true);
            return TransactionStatements.modes(cursor, result);
        }
        if (cursor.acceptAll("characteristics", "as", "transaction")) {
            InfoBuilder result = InfoBuilder.of(StatementKind.SET, true, "session setting");
            result.setting = new SettingChange("session_characteristics", rest(cursor, segment), false);
            TransactionStatements.modes(cursor, result);
            result.transactionReadOnly = false;
            return result;
        }
        String name = specialName(cursor);
        if (name == null) {
            name = parameterName(cursor);
            if (name == null) {
                return InfoBuilder.of(StatementKind.SET, false, "unknown set");
            }
            if (!cursor.accept("to")) {
                cursor.acceptSymbol("=");
            }
        }
        String value = cursor.at("default") && cursor.peek(1) == null ? null : rest(cursor, segment);
        InfoBuilder result = InfoBuilder.of(StatementKind.SET, true, "session setting");
        result.setting = new SettingChange(name, value, local || TRANSACTION_PARAMETERS.contains(name));
        return refusedOnStandby(result, name, value);
    }

    /** SET forms whose name is not a plain parameter: TIME ZONE, NAMES, SCHEMA, ROLE, SESSION AUTHORIZATION… */
    private static String specialName(TokenCursor cursor) {
        if (cursor.acceptAll("time", "zone")) {
            return "timezone";
        }
        if (cursor.accept("names")) {
            return "client_encoding";
        }
        if (cursor.accept("schema")) {
            return "search_path";
        }
        if (cursor.accept("role")) {
            return "role";
        }
        if (cursor.acceptAll("session", "authorization") || cursor.accept("authorization")) {
            return "session_authorization";
        }
        if (cursor.acceptAll("xml", "option")) {
            return "xmloption";
        }
        if (cursor.accept("constraints")) {
            return "constraints";
        }
        return null;
    }

    private static InfoBuilder reset(TokenCursor cursor) {
        String name;
        if (cursor.accept("all")) {
            name = "all";
        } else {
            name = specialName(cursor);
            name = name != null ? name : parameterName(cursor);
        }
        InfoBuilder result = InfoBuilder.of(StatementKind.RESET, name != null, name != null ? "reset" : "unknown");
        result.setting = name == null ? null : new SettingChange(name, null, TRANSACTION_PARAMETERS.contains(name));
        return result;
    }

    private static String parameterName(TokenCursor cursor) {
        if (cursor.acceptAll("time", "zone")) {
            return "timezone";
        }
        if (cursor.acceptAll("session", "authorization")) {
            return "session_authorization";
        }
        if (cursor.acceptAll("transaction", "isolation", "level")) {
            return "transaction_isolation";
        }
        String result = cursor.name();
        return result == null ? null : result.toLowerCase(Locale.ROOT);
    }

    /** The rest of the statement as written, trimmed. */
    private static String rest(TokenCursor cursor, SqlScanner.Segment segment) {
        Token token = cursor.peek();
        return token == null ? "" : segment.textFrom(token).strip();
    }

    private static InfoBuilder refusedOnStandby(InfoBuilder result, String name, String value) {
        String folded = value == null ? "" : value.toLowerCase(Locale.ROOT).replace("'", "").strip();
        boolean refused = switch (name) {
            case "transaction_read_only" -> Set.of("off", "false", "0", "no", "f", "n").contains(folded);
            case "default_transaction_isolation", "transaction_isolation" -> folded.equals("serializable");
            default -> false;
        };
        if (refused) {
            result.readOnly = false;
            result.reason = "setting refused by a standby";
        }
        return result;
    }
}
