package io.pgroute.proxy.backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Session parameters a client changed with SET since it connected (its startup parameters are already the
 * defaults of the connections it uses), as normalized name → value text as written. A backend connection records
 * the settings applied to it the same way; {@link #syncSql} is what brings one to the other.
 */
public final class SessionSettings {

    private final Map<String, String> values;

    public SessionSettings() {
        this.values = new LinkedHashMap<>();
    }

    public SessionSettings(SessionSettings other) {
        this.values = new LinkedHashMap<>(other.values);
    }

    /** SET name TO value; a null value (SET … TO DEFAULT) is a reset. */
    public void set(String name, String value) {
        if (value == null) {
            values.remove(name);
        } else {
            values.remove(name);
            values.put(name, value);
        }
    }

    public void reset(String name) {
        values.remove(name);
    }

    public void resetAll() {
        values.clear();
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    public Map<String, String> values() {
        return Map.copyOf(values);
    }

    /** The SQL that turns a connection with {@code applied} settings into one with these, or null if none. */
    public String syncSql(SessionSettings applied) {
        if (values.equals(applied.values)) {
            return null;  // the common case, checked without building anything
        }
        List<String> statements = new ArrayList<>();
        applied.values.keySet().stream().filter(name -> !values.containsKey(name))
                .forEach(name -> statements.add("RESET " + name));
        values.forEach((name, value) -> {
            if (!Objects.equals(applied.values.get(name), value)) {
                statements.add("SET " + name + " TO " + value);
            }
        });
        return statements.isEmpty() ? null : String.join("; ", statements);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SessionSettings settings && settings.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
