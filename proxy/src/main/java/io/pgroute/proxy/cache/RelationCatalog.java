package io.pgroute.proxy.cache;

import io.pgroute.proxy.sql.StatementInfo;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the result cache needs to know about the relations of one database, read from the primary's
 * {@code pg_class}, {@code pg_namespace}, {@code pg_inherits}, {@code pg_constraint}, {@code pg_trigger} and
 * {@code pg_rewrite}: which names may be cached, which tables a write to a table may change, and which writes may
 * reach what pgroute cannot see (triggers, rules, views, foreign tables).
 *
 * <p>Everything is keyed by the unqualified name ({@link #versionKey}), like the cache's version counters: the
 * classifier does not resolve the session's search_path, so same-named relations of all schemas collapse into one
 * entry and the worst case wins. Over-invalidation is accepted, under-invalidation never: an unknown name is never
 * cacheable and a write to it is always unknown.
 *
 * <p>Immutable snapshot; load a new one on reload. {@link #load} runs blocking JDBC: call it from the control plane,
 * never from an event loop.
 */
public final class RelationCatalog {

    /** Every relation a statement can name; indexes, composite types and TOAST tables cannot appear in SQL. */
    private static final String RELATIONS = """
            select n.nspname, c.relname, c.relkind, c.relpersistence,
                   exists (select 1 from pg_catalog.pg_trigger t where t.tgrelid = c.oid and not t.tgisinternal),
                   exists (select 1 from pg_catalog.pg_rewrite r where r.ev_class = c.oid and r.rulename <> '_RETURN')
            from pg_catalog.pg_class c
            join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')""";
    /** Table inheritance and partitioning; pg_inherits also links partitioned indexes, which are left out. */
    private static final String INHERITANCE = """
            select child.relname, parent.relname
            from pg_catalog.pg_inherits i
            join pg_catalog.pg_class child on child.oid = i.inhrelid
            join pg_catalog.pg_class parent on parent.oid = i.inhparent
            where child.relkind in ('r', 'p', 'f')""";
    private static final String FOREIGN_KEYS = """
            select referencing.relname, referenced.relname, k.confdeltype, k.confupdtype
            from pg_catalog.pg_constraint k
            join pg_catalog.pg_class referencing on referencing.oid = k.conrelid
            join pg_catalog.pg_class referenced on referenced.oid = k.confrelid
            where k.contype = 'f'""";
    /**
     * What each view's query calls or reads that may write: functions outside pg_catalog (PostgreSQL's own write no
     * user table; anything else, a trigger function's helper or a function left VOLATILE by default, may), and the
     * other views it reads, which may call such functions in turn. A view records both in pg_depend through its
     * {@code _RETURN} rule.
     */
    private static final String VIEW_DEPENDENCIES = """
            select v.relname, 'f', p.proname
            from pg_catalog.pg_rewrite r
            join pg_catalog.pg_class v on v.oid = r.ev_class
            join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass and d.objid = r.oid
            join pg_catalog.pg_proc p on d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass and p.oid = d.refobjid
            where v.relkind = 'v' and p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace
            union all
            select v.relname, 'v', dep.relname
            from pg_catalog.pg_rewrite r
            join pg_catalog.pg_class v on v.oid = r.ev_class
            join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass and d.objid = r.oid
            join pg_catalog.pg_class dep on d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                and dep.oid = d.refobjid
            where v.relkind = 'v' and dep.relkind = 'v' and dep.oid <> v.oid""";

    private static final Set<String> SYSTEM_SCHEMAS = Set.of("pg_catalog", "information_schema", "pg_toast");
    /** {@code pg_temp} (the session's own, as written in SQL), {@code pg_temp_N}, {@code pg_toast_temp_N}. */
    private static final Pattern TEMPORARY_SCHEMA = Pattern.compile("pg_(toast_)?temp(_\\d+)?");
    /** confdeltype / confupdtype codes that change the referencing table: CASCADE, SET NULL, SET DEFAULT. */
    private static final String CHANGING_ACTIONS = "cnd";

    private static final RelationCatalog EMPTY = new RelationCatalog(List.of(), List.of(), List.of(), List.of());

    /** What {@link WriteReach} worked out against this catalog, per statement. */
    final ReachMemo reaches = new ReachMemo();
    private final Set<String> known;
    private final Set<String> uncacheable;
    private final Set<String> opaqueWrites;
    private final Map<String, Set<String>> invalidates;
    /** Views (by version key) whose query may write: it calls, directly or through other views, a user function. */
    private final Set<String> writingViews;
    /** Whether {@link #writingViews} has any: asked for every statement on the cache's write path. */
    private final boolean anyWritingView;

    /** One {@code pg_class} row: {@code kind} is relkind, {@code persistence} relpersistence. */
    record Relation(String schema, String name, char kind, char persistence, boolean userTriggers, boolean rules) {

        boolean cacheable() {
            return isTable() && persistence == 'p' && !isSystemSchema(schema);
        }

        /** A write may change what pgroute cannot see: a trigger or rule runs, or it is not a plain table. */
        boolean opaqueWrites() {
            return userTriggers || rules || !isTable();
        }

        private boolean isTable() {
            return kind == 'r' || kind == 'p';
        }
    }

    /** One {@code pg_inherits} row (by relname): {@code child} inherits from, or is a partition of, {@code parent}. */
    record Inheritance(String child, String parent) {
    }

    /** One foreign key (by relname) with its {@code confdeltype} and {@code confupdtype}. */
    record ForeignKey(String referencing, String referenced, char onDelete, char onUpdate) {

        /** Whether a write to {@code referenced} may change rows of {@code referencing}. */
        boolean propagates() {
            return CHANGING_ACTIONS.indexOf(onDelete) >= 0 || CHANGING_ACTIONS.indexOf(onUpdate) >= 0;
        }
    }

    /**
     * One dependency of a view's query (by relname): on a function outside pg_catalog ({@code kind} 'f', {@code on}
     * its name) or on another view ({@code kind} 'v').
     */
    record ViewDependency(String view, char kind, String on) {
    }

    /** Aggregates plain catalog rows by unqualified name, without views that may write. */
    RelationCatalog(Collection<Relation> relations, Collection<Inheritance> inheritance,
            Collection<ForeignKey> foreignKeys) {
        this(relations, inheritance, foreignKeys, List.of());
    }

    /** Aggregates plain catalog rows by unqualified name. */
    RelationCatalog(Collection<Relation> relations, Collection<Inheritance> inheritance,
            Collection<ForeignKey> foreignKeys, Collection<ViewDependency> viewDependencies) {
        Set<String> names = new HashSet<>();
        Set<String> notCacheable = new HashSet<>();
        Set<String> opaque = new HashSet<>();
        for (Relation each : relations) {
            String key = versionKey(each.name());
            names.add(key);
            if (!each.cacheable()) {
                notCacheable.add(key);
            }
            if (each.opaqueWrites()) {
                opaque.add(key);
            }
        }
        Map<String, Set<String>> edges = new HashMap<>();
        for (Inheritance each : inheritance) {
            link(edges, versionKey(each.child()), versionKey(each.parent()));
            link(edges, versionKey(each.parent()), versionKey(each.child()));
        }
        for (ForeignKey each : foreignKeys) {
            if (each.propagates()) {
                link(edges, versionKey(each.referenced()), versionKey(each.referencing()));
            }
        }
        this.known = Set.copyOf(names);
        this.uncacheable = Set.copyOf(notCacheable);
        this.opaqueWrites = Set.copyOf(opaque);
        Map<String, Set<String>> frozen = new HashMap<>();
        edges.forEach((from, to) -> frozen.put(from, Set.copyOf(to)));
        this.invalidates = Map.copyOf(frozen);
        this.writingViews = writingViews(viewDependencies);
        this.anyWritingView = !writingViews.isEmpty();
    }

    /** The views that call a user function, and those that read such views, transitively. */
    private static Set<String> writingViews(Collection<ViewDependency> dependencies) {
        Map<String, Set<String>> readBy = new HashMap<>();
        List<String> callers = new ArrayList<>();
        for (ViewDependency each : dependencies) {
            String view = versionKey(each.view());
            if (each.kind() == 'v') {
                link(readBy, versionKey(each.on()), view);
            } else {
                callers.add(view);
            }
        }
        return Set.copyOf(reachable(callers, readBy));
    }

    /** {@code from} and every key reached from them through {@code edges}, in the order found. */
    private static Set<String> reachable(Collection<String> from, Map<String, Set<String>> edges) {
        Set<String> result = new LinkedHashSet<>();
        Deque<String> pending = new ArrayDeque<>();
        for (String each : from) {
            if (result.add(each)) {
                pending.add(each);
            }
        }
        while (!pending.isEmpty()) {
            for (String each : edges.getOrDefault(pending.poll(), Set.of())) {
                if (result.add(each)) {
                    pending.add(each);
                }
            }
        }
        return result;
    }

    /** The catalog before the first load: nothing is cacheable and every write is unknown. */
    public static RelationCatalog empty() {
        return EMPTY;
    }

    /** Reads the catalog through {@code connection} (of the database the cache serves); blocking. */
    public static RelationCatalog load(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            List<Relation> relations = read(statement, RELATIONS, rows -> new Relation(rows.getString(1),
                    rows.getString(2), code(rows, 3), code(rows, 4), rows.getBoolean(5), rows.getBoolean(6)));
            List<Inheritance> inheritance = read(statement, INHERITANCE,
                    rows -> new Inheritance(rows.getString(1), rows.getString(2)));
            List<ForeignKey> foreignKeys = read(statement, FOREIGN_KEYS, rows -> new ForeignKey(rows.getString(1),
                    rows.getString(2), code(rows, 3), code(rows, 4)));
            List<ViewDependency> viewDependencies = read(statement, VIEW_DEPENDENCIES,
                    rows -> new ViewDependency(rows.getString(1), code(rows, 2), rows.getString(3)));
            return new RelationCatalog(relations, inheritance, foreignKeys, viewDependencies);
        }
    }

    /**
     * The version-key name of a normalized name: the text after the last '.'. Case is left alone; the classifier
     * already lower-cased unquoted identifiers.
     */
    public static String versionKey(String name) {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    /**
     * True only if every relation with this unqualified name, in any schema, is an ordinary or partitioned permanent
     * table outside the system and temporary schemas. Unknown names are not cacheable: they may be temporary tables
     * or tables created since the load. Neither is a name written with a system or temporary schema
     * ({@code pg_temp.t}).
     *
     * @param name a table name as normalized by the classifier, qualified or not
     */
    public boolean cacheable(String name) {
        if (writtenInSystemSchema(name)) {
            return false;
        }
        String key = versionKey(name);
        return known.contains(key) && !uncacheable.contains(key);
    }

    /**
     * The version keys a write to {@code written} must bump: each table's own key and, transitively, every table of
     * the same inheritance or partition tree and every table whose foreign key to it cascades, sets null or sets a
     * default on delete or update. Names this catalog does not know are kept (as version keys).
     */
    public Set<String> invalidationClosure(Collection<String> written) {
        List<String> keys = new ArrayList<>(written.size());
        for (String each : written) {
            keys.add(versionKey(each));
        }
        return Collections.unmodifiableSet(reachable(keys, invalidates));
    }

    /**
     * True if a write to {@code written} may change tables pgroute cannot see, so that the caller must invalidate
     * the whole database: some table of the {@link #invalidationClosure} has user triggers or rules (other than a
     * view's {@code _RETURN}), is a view, materialized view, foreign table or sequence, or is unknown; or a name was
     * written with a system or temporary schema.
     */
    public boolean writesUnknown(Collection<String> written) {
        for (String each : written) {
            if (writtenInSystemSchema(each)) {
                return true;
            }
        }
        for (String each : invalidationClosure(written)) {
            if (!known.contains(each) || opaqueWrites.contains(each)) {
                return true;
            }
        }
        return false;
    }

    /**
     * True if {@code read}, a statement safe on a hot standby, reads a view whose query calls a function that is not
     * PostgreSQL's own (directly or through other views): the function may write, so the statement is a write that
     * names no table. A view's name in any schema counts.
     */
    public boolean readsWritingView(StatementInfo read) {
        if (!anyWritingView) {
            return false;
        }
        if (readsAnyOf(read.tablesRead())) {
            return true;
        }
        for (StatementInfo part : read.parts()) {
            if (readsAnyOf(part.tablesRead())) {
                return true;
            }
        }
        return false;
    }

    private boolean readsAnyOf(Set<String> names) {
        for (String each : names) {
            if (writingViews.contains(versionKey(each))) {
                return true;
            }
        }
        return false;
    }

    /** Number of distinct unqualified names known. */
    public int size() {
        return known.size();
    }

    @Override
    public String toString() {
        return "RelationCatalog[names=" + known.size() + ", uncacheable=" + uncacheable.size() + ", opaqueWrites="
                + opaqueWrites.size() + ", writingViews=" + writingViews.size() + "]";
    }

    static boolean isSystemSchema(String schema) {
        return SYSTEM_SCHEMAS.contains(schema) || TEMPORARY_SCHEMA.matcher(schema).matches();
    }

    /** Whether {@code name} is qualified with a system or temporary schema, as in {@code db.pg_temp.t}. */
    private static boolean writtenInSystemSchema(String name) {
        int dot = name.lastIndexOf('.');
        if (dot < 0) {
            return false;
        }
        String schema = name.substring(name.lastIndexOf('.', dot - 1) + 1, dot);
        return isSystemSchema(schema);
    }

    private static void link(Map<String, Set<String>> edges, String from, String to) {
        edges.computeIfAbsent(from, key -> new HashSet<>()).add(to);
    }

    private static char code(ResultSet rows, int column) throws SQLException {
        return rows.getString(column).charAt(0);
    }

    private static <T> List<T> read(Statement statement, String sql, RowReader<T> reader) throws SQLException {
        List<T> result = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                result.add(reader.read(rows));
            }
        }
        return result;
    }

    @FunctionalInterface
    private interface RowReader<T> {
        T read(ResultSet rows) throws SQLException;
    }
}
