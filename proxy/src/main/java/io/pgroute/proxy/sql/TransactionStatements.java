package io.pgroute.proxy.sql;

/**
 * Lexical classification of transaction control, which JSqlParser does not understand in any form.
 *
 * <pre>
 * BEGIN [WORK|TRANSACTION] [mode [, …]]          START TRANSACTION [mode [, …]]
 * COMMIT|END [WORK|TRANSACTION] [AND [NO] CHAIN]  ROLLBACK|ABORT [WORK|TRANSACTION] [AND [NO] CHAIN]
 * SAVEPOINT s   RELEASE [SAVEPOINT] s   ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] s
 * PREPARE TRANSACTION 'id'   COMMIT PREPARED 'id'   ROLLBACK PREPARED 'id'
 * mode: ISOLATION LEVEL {SERIALIZABLE|REPEATABLE READ|READ COMMITTED|READ UNCOMMITTED}
 *       | READ WRITE | READ ONLY | [NOT] DEFERRABLE
 * </pre>
 */
final class TransactionStatements {
    private TransactionStatements() {
    }

    /** The classification, or null when the statement is not transaction control. */
    static InfoBuilder analyze(TokenCursor cursor) {
        if (cursor.accept("begin")) {
            skipWorkOrTransaction(cursor);
            return begin(cursor);
        }
        if (cursor.acceptAll("start", "transaction")) {
            return begin(cursor);
        }
        if (cursor.acceptAll("prepare", "transaction")) {
            return InfoBuilder.of(StatementKind.TRANSACTION_END, false, "two-phase commit");
        }
        if (cursor.acceptAll("commit", "prepared") || cursor.acceptAll("rollback", "prepared")) {
            return InfoBuilder.of(StatementKind.TRANSACTION_END, false, "two-phase commit");
        }
        if (cursor.accept("commit") || cursor.accept("end") || cursor.accept("abort")) {
            return InfoBuilder.of(StatementKind.TRANSACTION_END, true, "transaction end");
        }
        if (cursor.accept("rollback")) {
            skipWorkOrTransaction(cursor);
            if (cursor.accept("to")) {
                cursor.accept("savepoint");
                return InfoBuilder.of(StatementKind.SAVEPOINT, true, "rollback to savepoint").target(cursor.name());
            }
            return InfoBuilder.of(StatementKind.TRANSACTION_END, true, "transaction end");
        }
        if (cursor.accept("release")) {
            cursor.accept("savepoint");
            return InfoBuilder.of(StatementKind.SAVEPOINT, true, "release savepoint").target(cursor.name());
        }
        if (cursor.accept("savepoint")) {
            return InfoBuilder.of(StatementKind.SAVEPOINT, true, "savepoint").target(cursor.name());
        }
        return null;
    }

    private static void skipWorkOrTransaction(TokenCursor cursor) {
        if (!cursor.accept("work")) {
            cursor.accept("transaction");
        }
    }

    private static InfoBuilder begin(TokenCursor cursor) {
        InfoBuilder result = InfoBuilder.of(StatementKind.TRANSACTION_BEGIN, false, "read-write transaction");
        return modes(cursor, result);
    }

    /**
     * Reads transaction modes into {@code result}: READ ONLY without SERIALIZABLE makes it
     * {@code transactionReadOnly} and {@code readOnly}; SERIALIZABLE is refused by a hot standby.
     */
    static InfoBuilder modes(TokenCursor cursor, InfoBuilder result) {
        boolean readOnly = false;
        while (!cursor.atEnd()) {
            if (cursor.acceptAll("isolation", "level")) {
                result.isolation = isolation(cursor);
            } else if (cursor.acceptAll("read", "only")) {
                readOnly = true;
            } else if (cursor.acceptAll("read", "write")) {
                readOnly = false;
                result.readOnly = false;
                result.reason = "read-write transaction";
            } else if (cursor.accept("not") || cursor.accept("deferrable") || cursor.acceptSymbol(",")) {
                continue;
            } else {
                result.readOnly = false;
                result.reason = "unknown transaction mode";
                return result;
            }
        }
        if (result.isolation == IsolationLevel.SERIALIZABLE) {
            result.readOnly = false;
            result.reason = "serializable transaction";
        } else if (readOnly) {
            result.transactionReadOnly = true;
            result.readOnly = true;
            result.reason = "read-only transaction";
        }
        return result;
    }

    /** The level named next; an unknown one counts as SERIALIZABLE so that it goes to the primary. */
    private static IsolationLevel isolation(TokenCursor cursor) {
        if (cursor.accept("serializable")) {
            return IsolationLevel.SERIALIZABLE;
        }
        if (cursor.acceptAll("repeatable", "read")) {
            return IsolationLevel.REPEATABLE_READ;
        }
        if (cursor.acceptAll("read", "committed")) {
            return IsolationLevel.READ_COMMITTED;
        }
        if (cursor.acceptAll("read", "uncommitted")) {
            return IsolationLevel.READ_UNCOMMITTED;
        }
        return IsolationLevel.SERIALIZABLE;
    }
}
