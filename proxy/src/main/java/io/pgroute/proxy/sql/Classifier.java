package io.pgroute.proxy.sql;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

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
 * <p>Where: {@link #lookup} answers on the caller's thread only what costs no more than a lexer pass over a short
 * text (a cached shape, or a statement the lexer alone classifies); {@link #classifyElsewhere} does the rest on the
 * classifier's own threads, so that an event loop never waits for JSqlParser (which may take its whole timeout, twice)
 * nor reads a long text while other sessions wait for it. {@link #classify} does everything where it is called.
 *
 * <p>Thread-safe. {@link #updateCatalog} swaps the function catalog (reload) and forgets cached results.
 */
public final class Classifier implements AutoCloseable {
    /** Parse budget per statement; a pathological statement costs at most this, then goes to the primary. */
    public static final Duration DEFAULT_PARSE_TIMEOUT = Duration.ofMillis(500);
    private static final int MAX_PARSE_LENGTH = 1 << 20;
    /**
     * Texts longer than this many characters are not looked at by {@link #lookup}: fingerprinting (or hashing) one
     * costs the calling event loop more than handing it to {@link #classifyElsewhere}.
     */
    public static final int INLINE_LIMIT = 32 * 1024;
    private static final FunctionCatalog BUILTINS = new BuiltinFunctions();

    /** Raw text ({@link String}) or shape ({@link Fingerprint}) → result; the key types never equal each other. */
    private final Cache<Object, StatementInfo> cache;
    private final QueryParser parser;
    private final StatementAnalyzer analyzer;
    /** The same rules with a parser that refuses: what {@link #lookup} may do on the caller's thread. */
    private final StatementAnalyzer lexicalAnalyzer;
    private final ExecutorService elsewhere;
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
        this.lexicalAnalyzer = new StatementAnalyzer(ParsedStatements.lexicalOnly(),
                new FunctionPolicy(() -> this.catalog));
        this.elsewhere = Executors.newFixedThreadPool(parserThreads, new DaemonThreads("pgroute-classifier-"));
    }

    /**
     * The classification of {@code sql}; the same instance for texts of the same shape while it stays cached.
     * JSqlParser, on a miss, reads {@code sql} itself, never its fingerprint.
     */
    public StatementInfo classify(String sql) {
        return classify(sql, analyzer);
    }

    /**
     * The classification of {@code sql} when it is at hand without JSqlParser, or null: cached (its text or its
     * shape), or classified by the lexer alone (transaction control, SET, SHOW, DDL…). Null also for a text longer
     * than {@link #INLINE_LIMIT}, without reading it. For a null, {@link #classifyElsewhere}.
     */
    public StatementInfo lookup(String sql) {
        if (sql.length() > INLINE_LIMIT) {
            return null;
        }
        try {
            return classify(sql, lexicalAnalyzer);
        } catch (ParsedStatements.NeedsParser needsParser) {
            return null;
        }
    }

    /** A classification made on the classifier's threads, with the catalog generation it was made under. */
    public record Classified(String sql, StatementInfo info, long generation) {
    }

    /**
     * Classifies on the classifier's own threads: {@code text} is called there too (decoding a long message is work
     * as well), and the text's hash is computed there (a {@link String} keeps it), so the caller's later lookups of
     * the same instance cost nothing. Completes on the classifier's thread; exceptionally if {@code text} throws.
     */
    public CompletableFuture<Classified> classifyElsewhere(Supplier<String> text) {
        return CompletableFuture.supplyAsync(() -> {
            String sql = text.get();
            sql.hashCode();
            long made = generation.get();  // before: a result that a reload overtakes counts as older
            return new Classified(sql, classify(sql), made);
        }, elsewhere);
    }

    /**
     * What routing sees of a simple Query longer than {@code limits.max_read_query_bytes}, relayed unread in pieces
     * (COMPAT L1): this very instance (compared by identity: a client that sends the same text sends a comment)
     * classifies as {@link #UNREAD}.
     */
    public static final String UNREAD_QUERY =
            "/* a Query longer than limits.max_read_query_bytes, relayed unread by pgroute */";
    /**
     * The classification of {@link #UNREAD_QUERY}: anything, for all pgroute knows. It goes to the primary (or the
     * connection the session holds), writes every table, and pins the session (it may have left session state).
     */
    private static final StatementInfo UNREAD = unread();

    private static StatementInfo unread() {
        InfoBuilder unread = InfoBuilder.opaque(StatementKind.UNKNOWN,
                "longer than pgroute reads (limits.max_read_query_bytes): not read");
        unread.parsed = false;
        unread.pins();
        unread.functions.add(FunctionRules.SETS_SETTINGS);
        return unread.build(SqlScanner.scan(UNREAD_QUERY).hints(), false, List.of()).withFingerprint(UNREAD_QUERY);
    }

    /**
     * The longest text pgroute analyses (the largest {@code limits.max_read_query_bytes}): lexing one costs about ten
     * times its length in memory, and a longer one (a Parse: a Query that long is not read) is classified as
     * {@link #UNREAD}, so that no client can make the proxy exhaust its heap.
     */
    public static final int LONGEST_READ = 16 << 20;

    private StatementInfo classify(String sql, StatementAnalyzer with) {
        if (sql == UNREAD_QUERY || sql.length() > LONGEST_READ) {
            return UNREAD;
        }
        try {
            return classifyOrBusy(sql, with);
        } catch (QueryParser.Busy busy) {
            // every parser thread is still on a parse it gave up on: the primary this time, remembered by no one
            parseFailures.increment();
            SqlScanner.Scan scan = SqlScanner.scan(sql);
            InfoBuilder unread = InfoBuilder.opaque(StatementKind.UNKNOWN, "parser busy");
            unread.parsed = false;
            if (FunctionRules.mentions(sql, true)) {
                unread.pins();  // a session-level advisory lock must not stay on a pooled connection
            }
            if (FunctionRules.mentions(sql, false)) {
                unread.functions.add(FunctionRules.SETS_SETTINGS);  // nor a setting it changes
            }
            return unread.build(scan.hints(), false, List.of()).withFingerprint(Fingerprint.of(sql).text());
        }
    }

    private StatementInfo classifyOrBusy(String sql, StatementAnalyzer with) {
        StatementInfo result = cache.getIfPresent(sql);
        if (result != null) {
            return result;
        }
        Fingerprint fingerprint = Fingerprint.of(sql);
        if (!fingerprint.literals()) {
            return cache.get(sql, text -> analyze(sql, with).withFingerprint(fingerprint.text()));
        }
        if (fingerprint.literalSensitive()) {
            return analyze(sql, with).withFingerprint(fingerprint.text());
        }
        StatementInfo shaped = cache.getIfPresent(fingerprint);  // the common case, without a capturing lambda
        return shaped != null ? shaped
                : cache.get(fingerprint, shape -> analyze(sql, with).withFingerprint(fingerprint.text()));
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
        elsewhere.shutdownNow();
        parser.close();
    }

    private StatementInfo analyze(String sql, StatementAnalyzer with) {
        SqlScanner.Scan scan = SqlScanner.scan(sql);
        List<SqlScanner.Segment> statements = scan.statements();
        if (statements.isEmpty()) {
            return InfoBuilder.of(StatementKind.EMPTY, true, "empty").build(scan.hints(), false, List.of());
        }
        if (statements.size() == 1) {
            return with.analyze(statements.get(0)).build(scan.hints(), false, List.of());
        }
        List<InfoBuilder> builders = new ArrayList<>();
        List<StatementInfo> parts = new ArrayList<>();
        for (SqlScanner.Segment each : statements) {
            InfoBuilder builder = with.analyze(each);
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
