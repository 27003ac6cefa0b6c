package io.pgroute.proxy.sql;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Mutable collector for one statement's {@link StatementInfo}; confined to one classification. */
final class InfoBuilder {
    StatementKind kind;
    boolean readOnly;
    boolean cacheable;
    final Set<String> tablesRead = new LinkedHashSet<>();
    final Set<String> tablesWritten = new LinkedHashSet<>();
    boolean tablesComplete = true;
    final Set<String> functions = new LinkedHashSet<>();
    boolean lockingClause;
    boolean transactionReadOnly;
    IsolationLevel isolation;
    SettingChange setting;
    String target;
    boolean pinsSession;
    boolean createsTemporary;
    boolean removes;
    boolean parsed = true;
    String reason;

    private InfoBuilder(StatementKind kind, boolean readOnly, String reason) {
        this.kind = kind;
        this.readOnly = readOnly;
        this.reason = reason;
    }

    static InfoBuilder of(StatementKind kind, boolean readOnly, String reason) {
        return new InfoBuilder(kind, readOnly, reason);
    }

    /** A statement that must go to the primary and whose effects on tables are unknown. */
    static InfoBuilder opaque(StatementKind kind, String reason) {
        InfoBuilder result = new InfoBuilder(kind, false, reason);
        result.tablesComplete = false;
        return result;
    }

    InfoBuilder target(String name) {
        this.target = name;
        return this;
    }

    InfoBuilder pins() {
        this.pinsSession = true;
        return this;
    }

    /** It creates a temporary object that outlives its transaction: that pins the session, until a rollback. */
    InfoBuilder pinsTemporary() {
        this.createsTemporary = true;
        return pins();
    }

    /** It drops an object or closes a cursor: it may end the last state of a kind that pins the session. */
    InfoBuilder removes() {
        this.removes = true;
        return this;
    }

    /** Marks the statement as needing the primary, keeping the first reason given. */
    void primary(String why) {
        if (readOnly) {
            readOnly = false;
            reason = why;
        }
        cacheable = false;
    }

    /** Copies tables, functions and flags of an embedded statement (PREPARE … AS, DECLARE … FOR, COPY (…)). */
    void absorb(InfoBuilder inner) {
        tablesRead.addAll(inner.tablesRead);
        tablesWritten.addAll(inner.tablesWritten);
        functions.addAll(inner.functions);
        tablesComplete &= inner.tablesComplete;
        lockingClause |= inner.lockingClause;
        pinsSession |= inner.pinsSession;
        createsTemporary |= inner.createsTemporary;
        parsed &= inner.parsed;
        if (!inner.readOnly) {
            primary(inner.reason);
        }
    }

    StatementInfo build(Hints hints, boolean multi, List<StatementInfo> parts) {
        boolean cache = cacheable && readOnly && !hints.noCache() && hints.hint() != Hint.PRIMARY;
        Optional<Duration> ttl = hints.cacheTtl();
        return new StatementInfo(kind, readOnly, cache, tablesRead, tablesWritten, tablesComplete, functions,
                lockingClause, hints.hint(), hints.noCache(), ttl, transactionReadOnly, Optional.ofNullable(isolation),
                Optional.ofNullable(setting), Optional.ofNullable(target), pinsSession, createsTemporary, removes, multi,
                parsed, reason, parts, "");
    }
}
