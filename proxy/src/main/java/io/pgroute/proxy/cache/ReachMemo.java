package io.pgroute.proxy.cache;

import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.StatementInfo;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What {@link WriteReach} worked out for each classified statement against one {@link RelationCatalog}, so that a
 * statement of a shape seen before costs a lookup instead of walking its tables, functions and the catalog again
 * (a TPC-B transaction spent about 15 µs of pgroute's CPU on that walk, every time). Looked up by the statement's
 * fingerprint (a string whose hash is computed once, shared by every text of the shape) and good only for the very
 * {@link StatementInfo} it was worked out for (the classifier hands out one per shape while it stays in its cache), the
 * same classifier and its function-catalog {@linkplain Classifier#generation() generation}; a new relation catalog
 * comes with a new memo. Thread-safe: each event loop may fill an entry; they agree.
 */
final class ReachMemo {

    /** Statement shapes remembered per catalog; beyond it the memo starts over. */
    private static final int SHAPES = 10_000;
    /** A slot not worked out yet (null is an answer: "cannot tell"). */
    static final List<String> NOT_YET = List.of("\u0000not yet");

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /**
     * The entry of {@code statement} for {@code classifier}'s present generation, whose slots hold what was worked
     * out ({@link #NOT_YET} or null where nothing was; the caller fills an empty slot); null when the statement has
     * no fingerprint to remember it by.
     */
    Entry entry(StatementInfo statement, Classifier classifier) {
        String shape = statement.fingerprint();
        if (shape == null) {
            return null;
        }
        long generation = classifier.generation();  // read before computing: a newer catalog replaces the entry
        Entry entry = entries.get(shape);
        if (entry == null || entry.statement != statement || entry.classifier != classifier
                || entry.generation != generation) {
            if (entries.size() >= SHAPES) {
                entries.clear();
            }
            entry = new Entry(statement, classifier, generation);
            entries.put(shape, entry);
        }
        return entry;
    }

    /** One statement's results; each slot is filled once (racing fills compute the same value). */
    static final class Entry {
        final StatementInfo statement;
        final Classifier classifier;
        final long generation;
        volatile ResultCache.Invalidation write;
        volatile List<String> readKeys = NOT_YET;
        volatile List<String> shownKeys = NOT_YET;

        Entry(StatementInfo statement, Classifier classifier, long generation) {
            this.statement = statement;
            this.classifier = classifier;
            this.generation = generation;
        }
    }
}
