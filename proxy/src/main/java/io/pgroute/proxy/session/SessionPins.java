package io.pgroute.proxy.session;

import io.pgroute.proxy.sql.StatementInfo;
import io.pgroute.proxy.sql.StatementKind;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * Why a session keeps its server connection between transactions, and when it may give it up again: the state it
 * left there (a LISTEN, a session advisory lock, a SQL {@code PREPARE}, a held cursor, a setting pgroute cannot
 * replay, a temporary table…) cannot move to another connection, so the session is pinned while any of it is left.
 *
 * <p>Each statement that may leave such state pins the session when it is sent, before its outcome is known. Its
 * pin is undone when PostgreSQL undid the state or never made it: when the statement never began (it came after an
 * error: {@link #neverRan}), or, for the kinds whose state is transactional (LISTEN, a cursor WITH HOLD, a SET,
 * {@code set_config()}, a temporary object), when its transaction, or the savepoint it came after, rolled back
 * ({@link #rolledBack}). Session advisory locks, SQL {@code PREPARE} and LOADed libraries survive a rollback, and
 * pgroute cannot see into a DO block or a text it did not read. {@link SettingsTracker} follows the transactions and
 * savepoints and calls these and {@link #free}.
 *
 * <p>A statement that frees all of one kind of that state ends the pins of that kind sent before it, once PostgreSQL
 * has really done it, that is once it committed:
 *
 * <pre>
 *   DISCARD ALL                     frees everything but a LOADed library (it cannot run in a transaction block)
 *   DISCARD TEMP                    temporary tables
 *   UNLISTEN *                      LISTEN
 *   SELECT pg_advisory_unlock_all() session advisory locks
 *   DEALLOCATE ALL                  SQL PREPARE
 *   CLOSE ALL                       WITH HOLD cursors
 *   RESET ALL                       SET SESSION CHARACTERISTICS and the other SETs pgroute does not replay
 * </pre>
 *
 * A DO block or {@code set_config()} (which can set the role, which RESET ALL leaves) is freed only by DISCARD ALL,
 * a LOADed library by nothing: the session keeps that connection, which is closed when it leaves.
 * Pins sent after a freeing statement stay (asyncpg releases a connection with {@code SELECT
 * pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;}, Npgsql with {@code DISCARD ALL}, possibly followed
 * by the next client's LISTEN in the same write). Confined to the session's event loop.
 */
final class SessionPins {

    /** Kinds of session state, by what frees them and whether a rollback undoes them. */
    enum Kind {
        LISTEN(true), ADVISORY_LOCK(false), PREPARED(false), HELD_CURSOR(true), SETTINGS(true), TEMPORARY(true),
        CONFIG(true), OTHER(false),
        /** A library LOADed into the server process: nothing unloads it, so the connection is closed after. */
        LIBRARY(false);

        /** A rollback of the transaction (or savepoint) that made the state undoes it. */
        private final boolean transactional;

        Kind(boolean transactional) {
            this.transactional = transactional;
        }
    }

    /** SET forms that cannot be replayed as {@code SET name TO value}: the session keeps its connection instead. */
    private static final Set<String> UNREPLAYABLE_SETTINGS = Set.of("session_characteristics", "transaction",
            "constraints");

    /** What a freeing statement frees, and how many pins of each kind were sent before it. */
    record Freeing(Set<Kind> kinds, long[] pinsSentBefore) {
    }

    /** One pin: the {@code number}th of its kind. */
    record Pinned(Kind kind, long number) {
    }

    /** What sending one statement did: its pins (maybe none), and what it frees once committed (or null). */
    record Effects(List<Pinned> pinned, Freeing freeing) {
    }

    /** No kind: what most statements pin. */
    private static final Set<Kind> NONE = java.util.Collections.emptySet();

    /** Each kind's pins in force (or not known to be undone), by number, with the reason of each. */
    @SuppressWarnings("unchecked")
    private final TreeMap<Long, String>[] live = new TreeMap[Kind.values().length];
    /** Pins in {@link #live}, all kinds. */
    private int livePins;
    /** Statements sent that pinned each kind, ever: the next pin's number. */
    private final long[] pinsSent = new long[Kind.values().length];
    /**
     * Kinds of which a statement sent since the last {@link #question} may have ended the last piece although the
     * session is pinned for them (a try-lock that failed, an unlock of one lock, UNLISTEN of one channel, DEALLOCATE
     * of one statement, a DROP, CLOSE of one cursor): see {@link StateProbe}.
     */
    private final Set<Kind> uncertain = EnumSet.noneOf(Kind.class);

    /** Functions after which the session may hold no session advisory lock although pgroute counted one. */
    private static final Set<String> MAY_LEAVE_NO_LOCK = Set.of("pg_try_advisory_lock", "pg_try_advisory_lock_shared",
            "pg_advisory_unlock", "pg_advisory_unlock_shared");

    /** A session-level SET pgroute cannot replay elsewhere: it pins the session (and so runs on the primary). */
    static boolean isUnreplayable(StatementInfo statement) {
        return statement.setting().map(each -> !each.local() && UNREPLAYABLE_SETTINGS.contains(each.name()))
                .orElse(false);
    }

    boolean pinned() {
        return livePins > 0;
    }

    /** Whether the session loaded a library into its server connection: that connection must not serve others. */
    boolean loadedLibrary() {
        TreeMap<Long, String> libraries = live[Kind.LIBRARY.ordinal()];
        return libraries != null && !libraries.isEmpty();
    }

    /** Why the session is pinned (one of its reasons), or null. */
    String reason() {
        if (livePins == 0) {
            return null;
        }
        for (TreeMap<Long, String> each : live) {
            if (each != null && !each.isEmpty()) {
                return each.firstEntry().getValue();
            }
        }
        return null;
    }

    /**
     * A statement (one, not a multi-statement text) is being sent: it pins the kinds of state it may leave at once.
     * Returns those pins and what it would free once it committed, or null when neither.
     */
    Effects onStatement(StatementInfo statement) {
        if (!statement.functions().isEmpty()) {
            for (String each : statement.functions()) {
                if (MAY_LEAVE_NO_LOCK.contains(each)) {
                    uncertain.add(Kind.ADVISORY_LOCK);
                }
            }
        }
        StatementKind kind = statement.kind();
        if (statement.removes()) {
            uncertain.add(kind == StatementKind.CURSOR ? Kind.HELD_CURSOR : Kind.TEMPORARY);
        }
        if (kind == StatementKind.UNLISTEN && !statement.target().orElse("*").equals("*")) {
            uncertain.add(Kind.LISTEN);
        } else if (kind == StatementKind.DEALLOCATE && !statement.target().orElse("all").equalsIgnoreCase("all")) {
            uncertain.add(Kind.PREPARED);
        }
        Set<Kind> pins = pins(statement);
        List<Pinned> pinned = null;
        if (!pins.isEmpty()) {
            String reason = reason(statement);
            for (Kind each : pins) {
                long number = pinsSent[each.ordinal()]++;
                TreeMap<Long, String> ofKind = live[each.ordinal()];
                if (ofKind == null) {
                    ofKind = new TreeMap<>();
                    live[each.ordinal()] = ofKind;
                }
                ofKind.put(number, reason);
                livePins++;
                if (pinned == null) {
                    pinned = new ArrayList<>(2);
                }
                pinned.add(new Pinned(each, number));
            }
        }
        Freeing freeing = null;
        Set<Kind> frees = frees(statement);
        if (frees != null) {
            frees.removeAll(pins);
            if (!frees.isEmpty()) {
                freeing = new Freeing(frees, pinsSent.clone());
            }
        }
        if (pinned == null && freeing == null) {
            return null;  // nearly every statement: nothing allocated for it
        }
        return new Effects(pinned == null ? List.of() : pinned, freeing);
    }

    /**
     * Whether it is worth asking the server what is left ({@link StateProbe}): the session is pinned for a kind of
     * which a statement since the last question may have ended the last piece.
     */
    boolean stateUncertain() {
        if (uncertain.isEmpty()) {
            return false;
        }
        for (Kind each : uncertain) {
            TreeMap<Long, String> ofKind = live[each.ordinal()];
            if (ofKind != null && !ofKind.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** The question is being asked: what its answer "none of a kind" ends (that kind's pins sent so far). */
    Freeing question() {
        Set<Kind> asked = EnumSet.noneOf(Kind.class);
        for (Kind each : uncertain) {
            TreeMap<Long, String> ofKind = live[each.ordinal()];
            if (ofKind != null && !ofKind.isEmpty()) {
                asked.add(each);  // a kind no longer pinned needs no answer
            }
        }
        uncertain.clear();
        return new Freeing(asked, pinsSent.clone());
    }

    /** {@code freeing} committed: the pins of its kinds sent before it end. */
    void free(Freeing freeing) {
        for (Kind each : freeing.kinds()) {
            TreeMap<Long, String> ofKind = live[each.ordinal()];
            if (ofKind != null && !ofKind.isEmpty()) {
                var before = ofKind.headMap(freeing.pinsSentBefore()[each.ordinal()]);
                livePins -= before.size();
                before.clear();
            }
        }
    }

    /**
     * The statement of {@code pin} ran, or began, and then its transaction or savepoint rolled back: the state is gone
     * if it is of a transactional kind.
     */
    void rolledBack(Pinned pin) {
        if (pin.kind().transactional) {
            neverRan(pin);
        }
    }

    /** The statement of {@code pin} never began (it came after an error): it left nothing. */
    void neverRan(Pinned pin) {
        TreeMap<Long, String> ofKind = live[pin.kind().ordinal()];
        if (ofKind != null && ofKind.remove(pin.number()) != null) {
            livePins--;
        }
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
            result.add(Kind.CONFIG);
        }
        if (!statement.pinsSession() && !unreplayable) {
            return result;  // set_config() alone
        }
        switch (statement.kind()) {
            case LISTEN -> result.add(Kind.LISTEN);
            case PREPARE -> result.add(Kind.PREPARED);
            case CURSOR -> result.add(Kind.HELD_CURSOR);
            case UTILITY -> result.add(Kind.LIBRARY);
            case SET -> result.add(unreplayable ? Kind.SETTINGS : Kind.OTHER);
            case READ -> {
                if (!locks) {
                    result.add(statement.createsTemporary() ? Kind.TEMPORARY : Kind.OTHER);
                }
            }
            // temporary tables, DO blocks, a text the parser gave up on…
            default -> result.add(statement.createsTemporary() ? Kind.TEMPORARY : Kind.OTHER);
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
        if (kind == StatementKind.DISCARD && target.equalsIgnoreCase("all")) {
            return EnumSet.complementOf(EnumSet.of(Kind.LIBRARY));
        }
        boolean discardTemp = target.equalsIgnoreCase("temp") || target.equalsIgnoreCase("temporary");
        if (kind == StatementKind.DISCARD && discardTemp) {
            result.add(Kind.TEMPORARY);
        } else if (kind == StatementKind.UNLISTEN && target.equals("*")) {
            result.add(Kind.LISTEN);
        } else if (kind == StatementKind.DEALLOCATE && target.equalsIgnoreCase("all")) {
            result.add(Kind.PREPARED);
        } else if (kind == StatementKind.CURSOR && target.equalsIgnoreCase("all")) {
            result.add(Kind.HELD_CURSOR);
        } else if (kind == StatementKind.RESET
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
