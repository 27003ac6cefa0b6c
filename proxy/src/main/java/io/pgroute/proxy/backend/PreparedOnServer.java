package io.pgroute.proxy.backend;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pgroute-named statements one backend connection has prepared, least recently used first. Beyond the bound,
 * {@link #add} names the statements to close on the server.
 */
public final class PreparedOnServer {

    private final int capacity;
    private final Map<String, Boolean> names = new LinkedHashMap<>(16, 0.75f, true);

    PreparedOnServer(int capacity) {
        this.capacity = capacity;
    }

    public boolean contains(String name) {
        return names.get(name) != null;
    }

    /** Records a new statement; returns the names evicted to stay within the bound (to be closed on the server). */
    public List<String> add(String name) {
        names.put(name, Boolean.TRUE);
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

    public int size() {
        return names.size();
    }
}
