package io.pgroute.proxy.sql;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * SQL text → {@link StatementInfo}, each distinct statement shape analysed once and kept in a bounded LRU.
 *
 * <p>The lexer ({@link SqlScanner}) splits the text and classifies everything JSqlParser cannot read
 * (transaction control, SET/RESET/SHOW/DISCARD, LISTEN/NOTIFY, PREPARE/EXECUTE, cursors, COPY, EXPLAIN, DDL,
 * utilities) without touching the parser; queries and DML go through JSqlParser with a timeout, and then
 * through the function and relation rules. Anything not understood goes to the primary, never to a replica.
 * Several statements in one text are routed as one: read-only only if every statement is.
 *
 * <p>Caching: a classification never depends on literal values, so texts that differ only in literals (simple
 * protocol inlines them: pgbench sends a new text every time) share one entry, keyed by their {@link Fingerprint}.
 * A text without literals (prepared statements with {@code $n}, BEGIN) is its own shape and is keyed by the raw
 * text, which a repeat finds without lexing. Texts holding a literal that the result does keep or read
 * (SET's value, EXPLAIN's options) are classified every time: lexer work only for SET.
 *
 * <p>Thread-safe. {@link #updateCatalog} swaps the function catalog (reload) and forgets cached results.
 */
public final class Classifier implements AutoCloseable {
    /** Parse budget per statement; a pathological statement costs at most this, then goes to the primary. */
    public static final Duration DEFAULT_PARSE_TIMEOUT = Duration.ofMillis(500);
    private static final int MAX_PARSE_LENGTH = 1 << 20;
    private static final FunctionCatalog BUILTINS = new BuiltinFunctions();

    /** Raw text ({@link String}) or shape ({@link Fingerprint}) → result; the key types never equal each other. */
    private final Cache<Object, StatementInfo> cache;
    private final QueryParser parser;
    private final StatementAnalyzer analyzer;
    private final LongAdder parseFailures = new LongAdder();
    private volatile FunctionCatalog catalog;
    /** Bumped by every {@link #updateCatalog}: a result remembered outside the cache is valid while it is equal. */
    private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();

    /** A classifier with the default parse timeout and two parser threads. */
    public Classifier(FunctionCatalog catalog, int cacheSize) {
        this(catalog, cacheSize, DEFAULT_PARSE_TIMEOUT, 2);
    }

    /** A classifier; {@code parserThreads} bounds concurrent JSqlParser runs (cache misses only). */
    public Classifier(FunctionCatalog catalog, int cacheSize, Duration parseTimeout, int parserThreads) {
        this.catalog = catalog;
        // maintenance runs on the calling thread: no hand-off to (and wake-up of) a ForkJoin worker per write
        this.cache = Caffeine.newBuilder().maximumSize(cacheSize).executor(Runnable::run).build();
        this.parser = new QueryParser(parseTimeout, parserThreads, MAX_PARSE_LENGTH);
        ParsedStatements parsed = new ParsedStatements(parser, parseFailures::increment);
        this.analyzer = new StatementAnalyzer(parsed, new FunctionPolicy(() -> this.catalog));
    }

    /**
     * The classification of {@code sql}; the same instance for texts of the same shape while it stays cached.
     * JSqlParser, on a miss, reads {@code sql} itself, never its fingerprint.
     */
    public StatementInfo classify(String sql) {
        StatementInfo result = cache.getIfPresent(sql);
        if (result != null) {
            return result;
        }
        Fingerprint fingerprint = Fingerprint.of(sql);
        if (!fingerprint.literals()) {
            return cache.get(sql, text -> analyze(sql).withFingerprint(fingerprint.text()));
        }
        if (fingerprint.literalSensitive()) {
            return analyze(sql).withFingerprint(fingerprint.text());
        }
        StatementInfo shaped = cache.getIfPresent(fingerprint);  // the common case, without a capturing lambda
        return shaped != null ? shaped
                : cache.get(fingerprint, shape -> analyze(sql).withFingerprint(fingerprint.text()));
    }

    /** Which catalog classifications were made under; changes when {@link #updateCatalog} runs. */
    public long generation() {
        return generation.get();
    }

    /** The volatility of {@code function} (a normalized name): the catalog's, else the built-in list's. */
    public Volatility volatility(String function) {
        Volatility result = catalog.volatility(function);
        return result == Volatility.UNKNOWN ? BUILTINS.volatility(function) : result;
    }

    /**
     * Whether a call of {@code function} may write tables that no statement names: true for every function but
     * PostgreSQL's own (the built-in list, and the always-primary and safe-on-standby rules: nextval, advisory
     * locks, txid_current…), which write no user table.
     */
    public boolean mayWriteTables(String function) {
        return !FunctionRules.isPrimaryOnly(function) && !FunctionRules.isSafeOnStandby(function)
                && BUILTINS.volatility(function) == Volatility.UNKNOWN;
    }

    /**
     * Whether a call of {@code function} may read tables that no statement names: true for a function that is not
     * PostgreSQL's own unless it is IMMUTABLE, and for PostgreSQL's functions that run SQL given as text
     * ({@code query_to_xml}, {@code ts_stat}…). PostgreSQL's other functions (now(), lower(), pg_is_in_recovery()…)
     * read no user table.
     */
    public boolean mayReadTables(String function) {
        boolean builtin = FunctionRules.isPrimaryOnly(function) || FunctionRules.isSafeOnStandby(function)
                || BUILTINS.volatility(function) != Volatility.UNKNOWN;
        if (builtin) {
            return FunctionRules.runsSqlText(function);
        }
        return volatility(function) != Volatility.IMMUTABLE;
    }

    /** Statements JSqlParser could not parse (or timed out on) since start: reads lost to the primary. */
    public long parseFailures() {
        return parseFailures.sum();
    }

    /** Number of cached classifications (approximate). */
    public long cachedCount() {
        return cache.estimatedSize();
    }

    /** Replaces the function catalog (after a reload from pg_proc) and drops every cached result. */
    public void updateCatalog(FunctionCatalog newCatalog) {
        this.catalog = newCatalog;
        cache.invalidateAll();
        generation.incrementAndGet();  // after: a result remembered under the new generation is a new one
    }

    @Override
    public void close() {
        parser.close();
    }

    private StatementInfo analyze(String sql) {
        SqlScanner.Scan scan = SqlScanner.scan(sql);
        List<SqlScanner.Segment> statements = scan.statements();
        if (statements.isEmpty()) {
            return InfoBuilder.of(StatementKind.EMPTY, true, "empty").build(scan.hints(), false, List.of());
        }
        if (statements.size() == 1) {
            return analyzer.analyze(statements.get(0)).build(scan.hints(), false, List.of());
        }
        List<InfoBuilder> builders = new ArrayList<>();
        List<StatementInfo> parts = new ArrayList<>();
        for (SqlScanner.Segment each : statements) {
            InfoBuilder builder = analyzer.analyze(each);
            builders.add(builder);
            parts.add(builder.build(scan.hints(), false, List.of()));
        }
        return merge(builders).build(scan.hints(), true, parts);
    }

    /**
     * One verdict for several statements: read-only only if all are; the kind and reason of the first
     * statement that needs the primary, else READ when any statement reads, else the first statement's kind.
     */
    private static InfoBuilder merge(List<InfoBuilder> builders) {
        InfoBuilder deciding = builders.stream().filter(each -> !each.readOnly).findFirst()
                .or(() -> builders.stream().filter(each -> each.kind == StatementKind.READ).findFirst())
                .orElse(builders.get(0));
        InfoBuilder result = InfoBuilder.of(deciding.kind, true, deciding.reason);
        result.cacheable = true;
        for (InfoBuilder each : builders) {
            result.absorb(each);
            result.cacheable &= each.cacheable && each.kind == StatementKind.READ;
        }
        result.reason = deciding.reason;
        InfoBuilder first = builders.get(0);
        result.transactionReadOnly = first.transactionReadOnly;
        result.isolation = first.isolation;
        result.setting = first.setting;
        result.target = first.target;
        return result;
    }
}
