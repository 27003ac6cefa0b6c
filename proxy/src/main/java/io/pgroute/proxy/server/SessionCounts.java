package io.pgroute.proxy.server;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many sessions each name (a user, a database) has now. A name is held only while it has sessions, so the map
 * stays as small as the set of names connected at once, however many have come and gone (with {@code auth_query},
 * any role of the servers can log in).
 */
final class SessionCounts {

    private final Map<String, Integer> counts = new ConcurrentHashMap<>();

    void increment(String name) {
        counts.merge(name, 1, Integer::sum);
    }

    void decrement(String name) {
        counts.computeIfPresent(name, (key, count) -> count <= 1 ? null : count - 1);
    }

    int get(String name) {
        return counts.getOrDefault(name, 0);
    }

    /** Names with at least one session. */
    int names() {
        return counts.size();
    }
}
