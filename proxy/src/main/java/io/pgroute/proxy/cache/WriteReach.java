package io.pgroute.proxy.cache;

import io.pgroute.proxy.cache.ResultCache.Invalidation;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.StatementInfo;
import io.pgroute.proxy.sql.StatementKind;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which tables a statement sent to the primary may change once committed, by version key
 * ({@link RelationCatalog#versionKey}): the tables it writes and those its writes reach (cascading foreign keys,
 * partitions and inheritance), or everything when that cannot be known (tables not named, DO/CALL, functions that may
 * write, triggers and rules, a read of a view that calls a user function, DDL, two-phase commit, anything not
 * understood). What the result cache invalidates, and what {@code consistency: global} makes later reads of those
 * tables wait for.
 */
public final class WriteReach {

    private WriteReach() {
    }

    /**
     * What {@code statement} reaches, judged with {@code catalog} and the classifier's function knowledge; worked out
     * once per statement shape and catalog ({@link ReachMemo}).
     */
    public static Invalidation of(StatementInfo statement, RelationCatalog catalog, Classifier classifier) {
        if (statement.readOnly()) {
            // a read of a view that calls a user function runs that function, which may write any table
            return catalog.readsWritingView(statement) ? Invalidation.EVERYTHING : Invalidation.NONE;
        }
        if (statement.parts().isEmpty() && reachOfKind(statement.kind()) != null) {
            return reachOfKind(statement.kind());  // as cheap as the lookup; SET texts share a shape
        }
        ReachMemo.Entry memo = catalog.reaches.entry(statement, classifier);
        Invalidation result = memo == null ? null : memo.write;
        if (result == null) {
            result = reachOf(statement, catalog, classifier);
            if (memo != null) {
                memo.write = result;
            }
        }
        return result;
    }

    private static Invalidation reachOf(StatementInfo statement, RelationCatalog catalog, Classifier classifier) {
        if (!statement.parts().isEmpty()) {
            Invalidation result = Invalidation.NONE;
            for (StatementInfo part : statement.parts()) {
                result = result.plus(of(part, catalog, classifier));
            }
            return result;
        }
        Invalidation byKind = reachOfKind(statement.kind());
        if (byKind != null) {
            return byKind;
        }
        String reason = statement.reason() == null ? "" : statement.reason();
        if (reason.startsWith("create temp")) {
            return Invalidation.NONE;  // only the session's own temporary relations, which are never cached
        }
        if (isDdl(statement) || reason.equals("truncate") || !statement.tablesComplete()) {
            return Invalidation.EVERYTHING;  // TRUNCATE … CASCADE empties every referencing table
        }
        for (String each : statement.functions()) {
            if (classifier.mayWriteTables(each)) {
                return Invalidation.EVERYTHING;
            }
        }
        if (statement.tablesWritten().isEmpty()) {
            return Invalidation.NONE;
        }
        List<String> keys = statement.tablesWritten().stream().map(RelationCatalog::versionKey).distinct().toList();
        if (catalog.writesUnknown(keys)) {
            return Invalidation.EVERYTHING;
        }
        return new Invalidation(catalog.invalidationClosure(keys), false);
    }

    /**
     * The version keys of the tables a read depends on, or null when that cannot be known: several statements,
     * tables not all named, something other than a query reading tables (EXPLAIN, COPY), a function that may read
     * tables not named ({@link Classifier#mayReadTables}), or a relation that is not a permanent table of
     * {@code catalog} (a view, a temporary or system table, one created since the load).
     */
    public static List<String> readKeys(StatementInfo read, RelationCatalog catalog, Classifier classifier) {
        if (read.multiStatement() || read.kind() != StatementKind.READ && !read.tablesRead().isEmpty()) {
            return null;
        }
        ReachMemo.Entry memo = catalog.reaches.entry(read, classifier);
        List<String> result = memo == null ? ReachMemo.NOT_YET : memo.readKeys;
        if (result == ReachMemo.NOT_YET) {
            result = keys(read, List.of(read.tablesRead()), catalog, classifier);
            if (memo != null) {
                memo.readKeys = result;
            }
        }
        return result;
    }

    /**
     * The version keys of {@code tables}, or null when {@code statement}'s tables are not all known, a function it
     * calls may read tables not named, or one of them is not a permanent table of {@code catalog}.
     */
    private static List<String> keys(StatementInfo statement, List<Set<String>> tables, RelationCatalog catalog,
                                     Classifier classifier) {
        if (!statement.tablesComplete()) {
            return null;
        }
        for (String each : statement.functions()) {
            if (classifier.mayReadTables(each)) {
                return null;
            }
        }
        List<String> result = new ArrayList<>();
        for (Set<String> group : tables) {
            for (String each : group) {
                if (!catalog.cacheable(each)) {
                    return null;
                }
                result.add(RelationCatalog.versionKey(each));
            }
        }
        return List.copyOf(result);  // remembered and shared: never changed after this
    }

    /**
     * The version keys of the tables whose contents an answer to {@code statement} may show (what it reads and what
     * it writes), empty for statements that show no table (BEGIN, SET, SHOW…), or null when that cannot be known:
     * tables not all named, a function that may read tables not named, a relation that is not a permanent table of
     * {@code catalog}.
     */
    public static List<String> shownKeys(StatementInfo statement, RelationCatalog catalog, Classifier classifier) {
        if (statement.parts().isEmpty() && showsNoTable(statement.kind())) {
            return shownKeysOf(statement, catalog, classifier);  // as cheap as the lookup; SET texts share a shape
        }
        ReachMemo.Entry memo = catalog.reaches.entry(statement, classifier);
        List<String> result = memo == null ? ReachMemo.NOT_YET : memo.shownKeys;
        if (result == ReachMemo.NOT_YET) {
            result = shownKeysOf(statement, catalog, classifier);
            if (memo != null) {
                memo.shownKeys = result;
            }
        }
        return result;
    }

    private static List<String> shownKeysOf(StatementInfo statement, RelationCatalog catalog, Classifier classifier) {
        if (!statement.parts().isEmpty()) {
            List<String> result = new ArrayList<>();
            for (StatementInfo part : statement.parts()) {
                List<String> each = shownKeys(part, catalog, classifier);
                if (each == null) {
                    return null;
                }
                result.addAll(each);
            }
            return List.copyOf(result);
        }
        if (showsNoTable(statement.kind())) {
            // two-phase commit (COMMIT PREPARED) makes another transaction's writes visible: not known
            return statement.kind() == StatementKind.TRANSACTION_END && !statement.readOnly() ? null : List.of();
        }
        return keys(statement, List.of(statement.tablesRead(), statement.tablesWritten()), catalog, classifier);
    }

    /**
     * What a statement of {@code kind} reaches whatever its tables, or null when its tables and functions decide
     * (READ with volatile functions, WRITE, COPY, CURSOR).
     */
    private static Invalidation reachOfKind(StatementKind kind) {
        return switch (kind) {
            case TRANSACTION_BEGIN, SAVEPOINT, SET, RESET, SHOW, DISCARD, LISTEN, UNLISTEN, NOTIFY, DEALLOCATE,
                    EMPTY, UTILITY, PREPARE -> Invalidation.NONE;
            // two-phase commit, SQL EXECUTE of some statement, not understood
            case TRANSACTION_END, EXECUTE, UNKNOWN -> Invalidation.EVERYTHING;
            default -> null;
        };
    }

    /** Statements whose answer shows no table's contents (but see two-phase commit in {@link #shownKeysOf}). */
    private static boolean showsNoTable(StatementKind kind) {
        return switch (kind) {
            case TRANSACTION_BEGIN, TRANSACTION_END, SAVEPOINT, SET, RESET, SHOW, DISCARD, LISTEN, UNLISTEN,
                    DEALLOCATE, EMPTY -> true;
            default -> false;
        };
    }

    /** Whether {@code statement} or one of its parts is DDL: the relation catalog may be out of date. */
    public static boolean mentionsDdl(StatementInfo statement) {
        if (statement.parts().isEmpty()) {
            return isDdl(statement);
        }
        for (StatementInfo part : statement.parts()) {
            if (isDdl(part)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isDdl(StatementInfo statement) {
        return "ddl".equals(statement.reason());
    }
}
