package io.pgroute.proxy.backend;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pgroute-named statements one backend connection has prepared, least recently used first, each with the plan
 * generation it was prepared in (see {@code DatabaseRouting.planChanged}). Beyond the bound, {@link #add} names the
 * statements to close on the server.
 */
public final class PreparedOnServer {

    private final int capacity;
    private final Map<String, Integer> names = new LinkedHashMap<>(16, 0.75f, true);

    PreparedOnServer(int capacity) {
        this.capacity = capacity;
    }

    public boolean contains(String name) {
        return names.get(name) != null;
    }

    /** The plan generation the statement was prepared in, or -1 when this connection does not have it. */
    public int generation(String name) {
        Integer result = names.get(name);
        return result == null ? -1 : result;
    }

    /** Records a new statement of generation 0; see {@link #add(String, int)}. */
    public List<String> add(String name) {
        return add(name, 0);
    }

    /**
     * Records a statement prepared in plan generation {@code generation}; returns the names evicted to stay within
     * the bound (to be closed on the server).
     */
    public List<String> add(String name, int generation) {
        names.put(name, generation);
        List<String> result = List.of();
        if (names.size() > capacity) {
            result = new ArrayList<>();
            Iterator<String> each = names.keySet().iterator();
            while (names.size() > capacity && each.hasNext()) {
                String evicted = each.next();
                if (!evicted.equals(name)) {
                    result.add(evicted);
                    each.remove();
                }
            }
        }
        return result;
    }

    public void remove(String name) {
        names.remove(name);
    }

    public void clear() {
        names.clear();
    }

    /**
     * A DEALLOCATE ALL was sent: what follows it on this connection finds no statement; returns what there was, for
     * {@link #restore} should it fail.
     */
    public Map<String, Integer> removeAll() {
        Map<String, Integer> result = new LinkedHashMap<>(names);
        names.clear();
        return result;
    }

    /** The DEALLOCATE ALL failed: the server still has {@code removed} (beyond the bound until the next add). */
    public void restore(Map<String, Integer> removed) {
        removed.forEach(names::putIfAbsent);
    }

    public int size() {
        return names.size();
    }
}
