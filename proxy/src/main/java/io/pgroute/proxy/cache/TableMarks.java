package io.pgroute.proxy.cache;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tables this instance knows to be <em>marked</em>: some instance has looked them up for a fill, so entries of
 * them may exist, and a write to them must be begun before it commits (docs/cache.md, "Tables never cached"). A
 * write to a table not marked may commit without a begin; whether a mark came meanwhile is checked before its
 * client hears of the commit. Marks are never taken back in Redis; here they are known once the database's set was
 * read ({@link #loaded}) since the subscription was last confirmed, and kept up to date by the messages marks
 * publish. Errors only ever go one way: a table taken as marked that is not costs a begin, never a stale read.
 *
 * <p>Thread-safe: {@link #reset} and {@link #add} run on the subscription's thread, in order with its messages;
 * {@link #loaded} on a Redis thread; reads on event loops.
 */
final class TableMarks {

    /** Database to the names marked in it. */
    private final ConcurrentHashMap<String, Set<String>> marked = new ConcurrentHashMap<>();
    /** Database to the generation its set was read in. */
    private final ConcurrentHashMap<String, Long> loadedIn = new ConcurrentHashMap<>();
    /** Databases whose set is being read, by generation. */
    private final ConcurrentHashMap<String, Long> loading = new ConcurrentHashMap<>();
    private volatile long generation;

    /** The subscription was confirmed or lost: what was known may have missed messages. */
    void reset() {
        generation++;  // first: from here on no database counts as known
        loadedIn.clear();
        loading.clear();
        marked.clear();
    }

    /** The generation to tag a read of a database's set with (taken before sending it). */
    long generation() {
        return generation;
    }

    /** A mark's message (or a read of the set): {@code names} of {@code database} are marked. */
    void add(String database, Collection<String> names) {
        marked.computeIfAbsent(database, ignored -> ConcurrentHashMap.newKeySet()).addAll(names);
    }

    /** The set of {@code database}, read in {@code sentIn}: known from now on, unless the subscription changed. */
    void loaded(String database, long sentIn, Collection<String> names) {
        add(database, names);
        if (sentIn == generation) {
            loadedIn.put(database, sentIn);
        }
        loading.remove(database, sentIn);
    }

    /** A read of the set of {@code database} in {@code sentIn} failed: another may be tried. */
    void failed(String database, long sentIn) {
        loading.remove(database, sentIn);
    }

    /** True when a read of {@code database}'s set should be sent now (none known or on its way). */
    boolean startLoading(String database, long sentIn) {
        return !known(database, sentIn) && loading.putIfAbsent(database, sentIn) == null;
    }

    /** Whether every mark of {@code database} made since the generation {@code in} started is known here. */
    boolean known(String database, long in) {
        Long at = loadedIn.get(database);
        return at != null && at == in && in == generation;
    }

    /** Whether {@code name} of {@code database} is marked, as far as this instance knows. */
    boolean marked(String database, String name) {
        Set<String> names = marked.get(database);
        return names != null && names.contains(name);
    }
}
