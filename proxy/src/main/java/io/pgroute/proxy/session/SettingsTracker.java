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
 * never outlives its transaction. {@code RESET ALL} and {@code DISCARD ALL} clear everything.
 *
 * <pre>
 *   send Query / extended batch --> cycle(changes) queued
 *   ErrorResponse --> head cycle failed;  CommandComplete COMMIT|ROLLBACK --> head cycle's last tag
 *   ReadyForQuery --> head cycle applied to desired (autocommit, commit) or to the open transaction, or dropped
 * </pre>
 */
final class SettingsTracker {

    private static final String ALL = "all";
    /** The change DISCARD ALL makes: unlike RESET ALL, it resets the role too. */
    private static final String DISCARD_ALL = "discard all";

    private final SessionSettings desired = new SessionSettings();
    /** SettingChange and Savepoint events of the open transaction, in order. */
    private final List<Object> inTransaction = new ArrayList<>();
    private final Deque<Cycle> cycles = new ArrayDeque<>();
    private Cycle open;

    /** SAVEPOINT, RELEASE or ROLLBACK TO, in the order sent. */
    private record Savepoint(String name, String what) {
    }

    /** One request cycle (a Query, or the messages up to a Sync) and what it changes. */
    private static final class Cycle {
        private final List<Object> changes = new ArrayList<>();
        private boolean failed;
        private boolean discardAll;
        private String lastTag = "";
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
        if ((info.kind() == StatementKind.SET || info.kind() == StatementKind.RESET) && info.setting().isPresent()) {
            SettingChange change = info.setting().get();
            if (!change.local()) {
                cycle.changes.add(change);
            }
        } else if (info.kind() == StatementKind.SAVEPOINT) {
            cycle.changes.add(new Savepoint(info.target().orElse("").toLowerCase(Locale.ROOT), info.reason()));
        } else if (info.kind() == StatementKind.DISCARD
                && info.target().map(each -> each.equalsIgnoreCase(ALL)).orElse(false)) {
            cycle.changes.add(new SettingChange(DISCARD_ALL, null, false));
            cycle.discardAll = true;
        }
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
            before.changes.addAll(newest.changes);
            before.failed |= newest.failed;
            before.discardAll |= newest.discardAll;
        }
    }

    void onError() {
        Cycle head = cycles.peekFirst();
        if (head != null) {
            head.failed = true;
        }
    }

    void onCommandComplete(String tag) {
        Cycle head = cycles.peekFirst();
        if (head != null) {
            head.lastTag = tag;
        }
    }

    /**
     * The head cycle ended with ReadyForQuery {@code status}, the transaction status before it being
     * {@code previous}. Returns true when the cycle ran DISCARD ALL successfully.
     */
    boolean onReadyForQuery(byte status, byte previous) {
        Cycle cycle = cycles.pollFirst();
        if (cycle == null) {
            return false;
        }
        boolean rolledBack = cycle.failed || cycle.lastTag.startsWith("ROLLBACK");
        if (status == 'I') {
            boolean committed = !rolledBack;
            if (committed && !(inTransaction.isEmpty() && cycle.changes.isEmpty())) {
                List<Object> all = new ArrayList<>(inTransaction);
                all.addAll(cycle.changes);
                effective(all).forEach(this::apply);
            }
            inTransaction.clear();
            return committed && cycle.discardAll;
        }
        if (!cycle.failed && !cycle.changes.isEmpty()) {  // most statements change nothing: no copy, no array
            inTransaction.addAll(cycle.changes);
        }
        return false;
    }

    /** The changes that survive the savepoint rollbacks among {@code events}. */
    private static List<SettingChange> effective(List<Object> events) {
        List<SettingChange> result = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Integer> marks = new ArrayList<>();
        for (Object each : events) {
            if (each instanceof SettingChange change) {
                result.add(change);
                continue;
            }
            Savepoint savepoint = (Savepoint) each;
            int at = names.lastIndexOf(savepoint.name());
            if (savepoint.what().startsWith("rollback")) {
                if (at >= 0) {
                    result.subList(marks.get(at), result.size()).clear();
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

    private void apply(SettingChange change) {
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
