package io.pgroute.proxy.sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Function volatility read from the primary's {@code pg_proc}, plus the UNLOGGED tables and sequences of
 * {@code pg_class}. Overloads and same-named functions in several schemas collapse to the most volatile:
 * the classifier does not resolve argument types or the session's search_path, so it takes the worst case.
 *
 * <p>Immutable snapshot; load a new one on reload. {@link #load} runs blocking JDBC: call it from the control
 * plane, never from an event loop.
 */
public final class PgProcCatalog implements FunctionCatalog {
    private static final String FUNCTIONS = "select n.nspname, p.proname, p.provolatile from pg_catalog.pg_proc p"
            + " join pg_catalog.pg_namespace n on n.oid = p.pronamespace";
    private static final String RELATIONS = "select n.nspname, c.relname from pg_catalog.pg_class c"
            + " join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
            + " where c.relkind = 'S' or (c.relpersistence = 'u' and c.relkind in ('r', 'p', 'm'))";

    private final Map<String, Volatility> functions;
    private final Set<String> primaryOnlyRelations;

    private PgProcCatalog(Map<String, Volatility> functions, Set<String> primaryOnlyRelations) {
        this.functions = Map.copyOf(functions);
        this.primaryOnlyRelations = Set.copyOf(primaryOnlyRelations);
    }

    /** Reads pg_proc and pg_class through {@code connection} (of the database the classifier serves). */
    public static PgProcCatalog load(Connection connection) throws SQLException {
        Map<String, Volatility> functions = new HashMap<>();
        Set<String> relations = new HashSet<>();
        try (Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery(FUNCTIONS)) {
                while (rows.next()) {
                    Volatility volatility = Volatility.ofCode(rows.getString(3));
                    String name = rows.getString(2);
                    functions.merge(name, volatility, Volatility::max);
                    functions.merge(rows.getString(1) + "." + name, volatility, Volatility::max);
                }
            }
            try (ResultSet rows = statement.executeQuery(RELATIONS)) {
                while (rows.next()) {
                    relations.add(rows.getString(2));
                    relations.add(rows.getString(1) + "." + rows.getString(2));
                }
            }
        }
        return new PgProcCatalog(functions, relations);
    }

    /** Number of distinct names known (qualified and unqualified). */
    public int size() {
        return functions.size();
    }

    @Override
    public Volatility volatility(String normalizedName) {
        Volatility result = functions.get(normalizedName);
        if (result == null && !normalizedName.contains(".")) {
            result = functions.get("pg_catalog." + normalizedName);
        }
        return result == null ? Volatility.UNKNOWN : result;
    }

    @Override
    public boolean isPrimaryOnlyRelation(String normalizedName) {
        return primaryOnlyRelations.contains(normalizedName);
    }
}
