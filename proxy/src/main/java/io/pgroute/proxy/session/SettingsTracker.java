package io.pgroute.proxy.session;

import io.pgroute.proxy.backend.SessionSettings;
import io.pgroute.proxy.sql.SettingChange;
import io.pgroute.proxy.sql.StatementInfo;
import io.pgroute.proxy.sql.StatementKind;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * The session parameters a client set, kept as PostgreSQL keeps them: a SET counts once its statement succeeded
 * outside a transaction, or when its transaction commits; a failed statement or a rollback forgets it; SET LOCAL
 * never outlives its transaction. {@code RESET ALL} and {@code DISCARD ALL} clear everything. The statements that free
 * the state a session is pinned for ({@link SessionPins}: {@code UNLISTEN *}, {@code DISCARD ALL}…) are followed the
 * same way, so that the session gives up its connection only once their transaction committed; and so are the
 * statements that pinned it, so that a pin whose state a rollback (or a failure) undid ends again.
 *
 * <p>A request cycle is followed statement by statement, as the server runs it: each statement's CommandComplete
 * (or EmptyQueryResponse, PortalSuspended) says it ran, so in a cycle that fails, what ran before the error counts
 * (a SAVEPOINT taken there exists, and a later ROLLBACK TO goes back to it, not to an older one of that name), and a
 * COMMIT or ROLLBACK in the middle of a cycle ends the transaction there ({@code SET a = 1; COMMIT; SELECT 1/0}
 * keeps a; {@code COMMIT AND CHAIN} commits what came before it and the transaction goes on).
 *
 * <pre>
 *   send Query / extended batch --> cycle(events, each at its statement's index) queued
 *   CommandComplete|EmptyQueryResponse|PortalSuspended --> head cycle: one more statement ran (COMMIT's tag may say
 *                                                          ROLLBACK: it rolled back)
 *   ErrorResponse --> head cycle failed: statements not yet run never will
 *   ReadyForQuery --> the head cycle's statements that ran, in order: SET/SAVEPOINT/pin join the open transaction's
 *                     events, COMMIT applies them to desired, ROLLBACK drops them (undoing their pins); then 'I'
 *                     applies what is left (autocommit, implicit transaction) unless the cycle failed, which drops
 *                     it; the pins of statements that never ran are undone
 * </pre>
 */
final class SettingsTracker {

    private static final String ALL = "all";
    /** The change DISCARD ALL makes: unlike RESET ALL, it resets the role too. */
    private static final String DISCARD_ALL = "discard all";

    private final SessionSettings desired = new SessionSettings();
    private final SessionPins pins;
    /** SettingChange and Savepoint events of the open transaction, in order. */
    private final List<Object> inTransaction = new ArrayList<>();
    private final Deque<Cycle> cycles = new ArrayDeque<>(4);
    private Cycle open;

    /** SAVEPOINT, RELEASE or ROLLBACK TO, in the order sent. */
    private record Savepoint(String name, String what) {
    }

    /** COMMIT, ROLLBACK, END, ABORT, PREPARE TRANSACTION: its CommandComplete says whether it rolled back. */
    private static final class TransactionEnd {
        private boolean rolledBack;
    }

    /** A SettingChange, Savepoint or TransactionEnd of the cycle's statement number {@code statement}. */
    private record Event(int statement, Object what) {
    }

    /** One request cycle (a Query, or the messages up to a Sync) and what it changes. */
    private static final class Cycle {
        private final List<Event> events = new ArrayList<>();
        /** Statements sent. */
        private int sent;
        /** Statements the server ran to completion, the first ones sent. */
        private int ran;
        private boolean failed;
    }

    SettingsTracker(SessionPins pins) {
        this.pins = pins;
    }

    SessionSettings desired() {
        return desired;
    }

    /** A statement of the cycle being sent. */
    void onStatement(StatementInfo info) {
        Cycle cycle = openCycle();
        if (info.multiStatement()) {
            info.parts().forEach(this::onStatement);
            return;
        }
        int statement = cycle.sent++;
        SessionPins.Effects effects = pins.onStatement(info);
        if (effects != null) {
            for (SessionPins.Pinned each : effects.pinned()) {
                cycle.events.add(new Event(statement, each));
            }
            if (effects.freeing() != null) {
                cycle.events.add(new Event(statement, effects.freeing()));
            }
        }
        if ((info.kind() == StatementKind.SET || info.kind() == StatementKind.RESET) && info.setting().isPresent()) {
            SettingChange change = info.setting().get();
            if (!change.local()) {
                cycle.events.add(new Event(statement, change));
            }
        } else if (info.kind() == StatementKind.SAVEPOINT) {
            cycle.events.add(new Event(statement,
                    new Savepoint(info.target().orElse("").toLowerCase(Locale.ROOT), info.reason())));
        } else if (info.kind() == StatementKind.TRANSACTION_END) {
            cycle.events.add(new Event(statement, new TransactionEnd()));
        } else if (info.kind() == StatementKind.DISCARD
                && info.target().map(each -> each.equalsIgnoreCase(ALL)).orElse(false)) {
            cycle.events.add(new Event(statement, new SettingChange(DISCARD_ALL, null, false)));
        }
    }

    /**
     * {@code statement}, a SET outside a transaction, was answered by pgroute itself: the session's at once, as if a
     * server had run it in a cycle of its own.
     */
    void answeredHere(StatementInfo statement) {
        onStatement(statement);
        endCycle();
        onStatementDone();
        onReadyForQuery((byte) 'I');
    }

    /** The current cycle's messages are all sent (Query sent, or Sync sent). */
    void endCycle() {
        cycles.addLast(openCycle());
        open = null;
    }

    /** The newest queued cycle continues the one before it (its Sync's answer is the other's). */
    void dropNewestCycle() {
        Cycle newest = cycles.pollLast();
        Cycle before = cycles.peekLast();
        if (newest != null && before != null) {
            newest.events.forEach(each -> before.events.add(new Event(before.sent + each.statement(), each.what())));
            before.sent += newest.sent;
            before.failed |= newest.failed;
        }
    }

    void onError() {
        Cycle head = cycles.peekFirst();
        if (head != null) {
            head.failed = true;
        }
    }

    /** The head cycle's next statement ran to completion (CommandComplete, EmptyQueryResponse, PortalSuspended). */
    void onStatementDone() {
        Cycle head = cycles.peekFirst();
        if (head != null && !head.failed) {
            head.ran++;
        }
    }

    /**
     * The CommandComplete {@link #onStatementDone} just counted has {@code tag}: a COMMIT (or PREPARE TRANSACTION) of a
     * failed transaction answers ROLLBACK.
     */
    void onCommandComplete(String tag) {
        Cycle head = cycles.peekFirst();
        if (head == null || head.ran == 0) {
            return;
        }
        for (Event each : head.events) {
            if (each.statement() == head.ran - 1 && each.what() instanceof TransactionEnd end) {
                end.rolledBack = tag.startsWith("ROLLBACK");
            }
        }
    }

    /**
     * The head cycle ended with ReadyForQuery {@code status}. Returns true when the cycle ran DISCARD ALL
     * successfully.
     */
    boolean onReadyForQuery(byte status) {
        Cycle cycle = cycles.pollFirst();
        if (cycle == null) {
            return false;
        }
        int ran = cycle.failed ? cycle.ran : cycle.sent;
        boolean discardAll = false;
        for (Event each : cycle.events) {
            if (each.statement() >= ran) {
                if (each.what() instanceof SessionPins.Pinned pin) {
                    if (each.statement() > ran) {
                        pins.neverRan(pin);  // after the error
                    } else {
                        pins.rolledBack(pin);  // the error: what it began is rolled back with its transaction
                    }
                }
                continue;
            }
            if (each.what() instanceof TransactionEnd end) {
                if (end.rolledBack) {
                    rollback();
                } else {
                    commit();
                }
                inTransaction.clear();
            } else {
                inTransaction.add(each.what());
                discardAll |= each.what() instanceof SettingChange change && change.name().equals(DISCARD_ALL);
            }
        }
        if (status != 'I') {
            return false;  // in a transaction, or failed in one: a ROLLBACK TO may still bring back what ran
        }
        if (cycle.failed) {
            rollback();
        } else {
            commit();  // autocommit, or the implicit transaction of a multi-statement Query
        }
        inTransaction.clear();
        return discardAll && !cycle.failed;
    }

    /**
     * The open transaction committed: what survives its savepoint rollbacks becomes the session's, and the pins of
     * what they rolled back are undone.
     */
    private void commit() {
        if (!inTransaction.isEmpty()) {
            List<Object> undone = new ArrayList<>();
            effective(inTransaction, undone).forEach(this::apply);
            undone.forEach(this::undo);
        }
    }

    /** The open transaction rolled back: nothing it did stays, so neither do its pins. */
    private void rollback() {
        inTransaction.forEach(this::undo);
    }

    /**
     * The changes (SettingChange, SessionPins.Freeing, SessionPins.Pinned) that survive the savepoint rollbacks among
     * {@code events}; the ones they roll back are added to {@code undone}.
     */
    private static List<Object> effective(List<Object> events, List<Object> undone) {
        List<Object> result = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Integer> marks = new ArrayList<>();
        for (Object each : events) {
            if (!(each instanceof Savepoint)) {
                result.add(each);
                continue;
            }
            Savepoint savepoint = (Savepoint) each;
            int at = names.lastIndexOf(savepoint.name());
            if (savepoint.what().startsWith("rollback")) {
                if (at >= 0) {
                    List<Object> rolledBack = result.subList(marks.get(at), result.size());
                    undone.addAll(rolledBack);
                    rolledBack.clear();
                    names.subList(at + 1, names.size()).clear();
                    marks.subList(at + 1, marks.size()).clear();
                }
            } else if (savepoint.what().startsWith("release")) {
                if (at >= 0) {
                    names.subList(at, names.size()).clear();
                    marks.subList(at, marks.size()).clear();
                }
            } else {
                names.add(savepoint.name());
                marks.add(result.size());
            }
        }
        return result;
    }

    private void undo(Object rolledBack) {
        if (rolledBack instanceof SessionPins.Pinned pin) {
            pins.rolledBack(pin);
        }
    }

    private void apply(Object committed) {
        if (committed instanceof SessionPins.Freeing freeing) {
            pins.free(freeing);
            return;
        }
        if (committed instanceof SessionPins.Pinned) {
            return;  // its state stays, and so does its pin
        }
        SettingChange change = (SettingChange) committed;
        String name = change.name().toLowerCase(Locale.ROOT);
        if (name.equals(DISCARD_ALL)) {
            desired.discardAll();
        } else if (name.equals(ALL)) {
            desired.resetAll();
        } else if (change.value() == null) {
            desired.reset(name);
        } else {
            desired.set(name, change.value());
        }
    }

    private Cycle openCycle() {
        if (open == null) {
            open = new Cycle();
        }
        return open;
    }
}
