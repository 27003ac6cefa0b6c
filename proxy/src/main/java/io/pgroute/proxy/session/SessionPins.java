package io.pgroute.proxy.session;

import io.pgroute.proxy.sql.StatementInfo;
import io.pgroute.proxy.sql.StatementKind;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Why a session keeps its server connection between transactions, and when it may give it up again: the state it
 * left there (a LISTEN, a session advisory lock, a SQL {@code PREPARE}, a held cursor, a setting pgroute cannot
 * replay, a temporary table…) cannot move to another connection, so the session is pinned while any of it is left.
 * A statement that frees all of one kind of that state ends that reason once PostgreSQL has really done it, that is
 * once it committed ({@link SettingsTracker} follows transactions and savepoints and calls {@link #free}):
 *
 * <pre>
 *   DISCARD ALL                     frees everything (it cannot run in a transaction block)
 *   UNLISTEN *                      LISTEN
 *   SELECT pg_advisory_unlock_all() session advisory locks
 *   DEALLOCATE ALL                  SQL PREPARE
 *   CLOSE ALL                       WITH HOLD cursors
 *   RESET ALL                       SET SESSION CHARACTERISTICS and the other SETs pgroute does not replay
 * </pre>
 *
 * A temporary table, a DO block or {@code set_config()} (which can set the role, which RESET ALL leaves) is freed
 * only by DISCARD ALL. A freeing statement counts only if no statement sent after it pinned that kind again (asyncpg
 * releases a connection with {@code SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;}, Npgsql
 * with {@code DISCARD ALL}, possibly followed by the next client's LISTEN in the same write). Confined to the
 * session's event loop.
 */
final class SessionPins {

    /** Kinds of session state, by what frees them. */
    enum Kind { LISTEN, ADVISORY_LOCK, PREPARED, HELD_CURSOR, SETTINGS, OTHER }

    /** SET forms that cannot be replayed as {@code SET name TO value}: the session keeps its connection instead. */
    private static final Set<String> UNREPLAYABLE_SETTINGS = Set.of("session_characteristics", "transaction",
            "constraints");

    /** What a freeing statement frees, and the pins of each kind sent before it. */
    record Freeing(Set<Kind> kinds, long[] pinsSentBefore) {
    }

    /** No kind: what most statements pin. */
    private static final Set<Kind> NONE = java.util.Collections.emptySet();

    /** Why each kind pins the session: the first statement of that kind still in force. */
    private final Map<Kind, String> reasons = new EnumMap<>(Kind.class);
    /** Statements sent that pinned each kind, ever. */
    private final long[] pinsSent = new long[Kind.values().length];

    /** A session-level SET pgroute cannot replay elsewhere: it pins the session (and so runs on the primary). */
    static boolean isUnreplayable(StatementInfo statement) {
        return statement.setting().map(each -> !each.local() && UNREPLAYABLE_SETTINGS.contains(each.name()))
                .orElse(false);
    }

    boolean pinned() {
        return !reasons.isEmpty();
    }

    /** Why the session is pinned (one of its reasons), or null. */
    String reason() {
        return reasons.isEmpty() ? null : reasons.values().iterator().next();
    }

    /**
     * A statement (one, not a multi-statement text) is being sent: it pins the kinds of state it may leave at once,
     * and returns what it would free once it committed, or null.
     */
    Freeing onStatement(StatementInfo statement) {
        Set<Kind> pins = pins(statement);
        for (Kind each : pins) {
            pinsSent[each.ordinal()]++;
            reasons.putIfAbsent(each, reason(statement));
        }
        Set<Kind> frees = frees(statement);
        if (frees == null) {
            return null;  // nearly every statement: nothing allocated for it
        }
        frees.removeAll(pins);
        return frees.isEmpty() ? null : new Freeing(frees, pinsSent.clone());
    }

    /** {@code freeing} committed. Returns true when that unpinned the session. */
    boolean free(Freeing freeing) {
        if (reasons.isEmpty()) {
            return false;
        }
        for (Kind each : freeing.kinds()) {
            if (pinsSent[each.ordinal()] == freeing.pinsSentBefore()[each.ordinal()]) {
                reasons.remove(each);
            }
        }
        return reasons.isEmpty();
    }

    private static Set<Kind> pins(StatementInfo statement) {
        boolean unreplayable = isUnreplayable(statement);
        boolean setConfig = statement.functions().contains("set_config");
        if (!statement.pinsSession() && !unreplayable && !setConfig) {
            return NONE;
        }
        Set<Kind> result = EnumSet.noneOf(Kind.class);
        boolean locks = statement.takesSessionLock();
        if (locks) {
            result.add(Kind.ADVISORY_LOCK);
        }
        if (setConfig) {
            result.add(Kind.OTHER);
        }
        switch (statement.kind()) {
            case LISTEN -> result.add(Kind.LISTEN);
            case PREPARE -> result.add(Kind.PREPARED);
            case CURSOR -> result.add(Kind.HELD_CURSOR);
            case SET -> result.add(unreplayable ? Kind.SETTINGS : Kind.OTHER);
            case READ -> {
                if (!locks) {
                    result.add(Kind.OTHER);
                }
            }
            default -> result.add(Kind.OTHER);  // temporary tables, DO blocks, a text the parser gave up on…
        }
        return result;
    }

    /** What {@code statement} frees, or null when it frees nothing (checked first, without allocating). */
    private static Set<Kind> frees(StatementInfo statement) {
        StatementKind kind = statement.kind();
        boolean unlocksAll = statement.functions().contains("pg_advisory_unlock_all");
        if (!unlocksAll && kind != StatementKind.DISCARD && kind != StatementKind.UNLISTEN
                && kind != StatementKind.DEALLOCATE && kind != StatementKind.CURSOR && kind != StatementKind.RESET) {
            return null;
        }
        String target = statement.target().orElse("");
        Set<Kind> result = EnumSet.noneOf(Kind.class);
        if (statement.kind() == StatementKind.DISCARD && target.equalsIgnoreCase("all")) {
            return EnumSet.allOf(Kind.class);
        }
        if (statement.kind() == StatementKind.UNLISTEN && target.equals("*")) {
            result.add(Kind.LISTEN);
        } else if (statement.kind() == StatementKind.DEALLOCATE && target.equalsIgnoreCase("all")) {
            result.add(Kind.PREPARED);
        } else if (statement.kind() == StatementKind.CURSOR && target.equalsIgnoreCase("all")) {
            result.add(Kind.HELD_CURSOR);
        } else if (statement.kind() == StatementKind.RESET
                && statement.setting().filter(each -> each.name().equals("all")).isPresent()) {
            result.add(Kind.SETTINGS);
        }
        if (unlocksAll) {
            result.add(Kind.ADVISORY_LOCK);
        }
        return result.isEmpty() ? null : result;
    }

    private static String reason(StatementInfo statement) {
        if (isUnreplayable(statement)) {
            return statement.setting().map(each -> "SET " + each.name()).orElseThrow();
        }
        return statement.functions().contains("set_config") && !statement.pinsSession() ? "set_config()"
                : statement.reason();
    }
}
