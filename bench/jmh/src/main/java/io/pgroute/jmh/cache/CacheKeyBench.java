package io.pgroute.jmh.cache;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.pgroute.proxy.cache.CacheKey;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The key of a typical prepared select ({@code pgbench -M prepared -S}): eight result-changing settings, one text
 * parameter, text results, as a session builds it for every cacheable statement, hit or miss.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CacheKeyBench {

    private static final String SQL = "SELECT abalance FROM pgbench_accounts WHERE aid = $1";
    private static final short[] TEXT = {0};

    private Map<String, String> settings;
    private byte[][] parameters;
    private CacheKey.Context context;

    @Setup(Level.Trial)
    public void setUp() {
        settings = new TreeMap<>(Map.of(
                "search_path", "\"$user\", public",
                "timezone", "Etc/UTC",
                "datestyle", "ISO, MDY",
                "intervalstyle", "postgres",
                "extra_float_digits", "1",
                "bytea_output", "hex",
                "standard_conforming_strings", "on",
                "client_encoding", "UTF8"));
        parameters = new byte[][] {"84512".getBytes(StandardCharsets.US_ASCII)};
        context = CacheKey.Context.of("pgbench", "bench", CacheKey.Settings.of(settings));
    }

    /**
     * As a session keys a statement: database, role and settings hashed once into a context when the settings
     * change ({@code SessionCache}), then one digest per key.
     */
    @Benchmark
    public void preparedSelectInContext(Blackhole blackhole) {
        blackhole.consume(preparedSelect(CacheKey.builder(context)));
    }

    /** The same key with its settings encoded and hashed for it alone (admin's EXPLAIN ROUTE does this). */
    @Benchmark
    public void preparedSelect(Blackhole blackhole) {
        blackhole.consume(preparedSelect(CacheKey.builder("pgbench", "bench").settings(settings)));
    }

    /** The statement's own fields, the same for both ways of starting a key. */
    private CacheKey preparedSelect(CacheKey.Builder builder) {
        return builder.sql(SQL)
                .shape(CacheKey.Shape.EXTENDED)
                .detail("p[23]BE")
                .parameters(parameters, TEXT)
                .resultFormats(TEXT)
                .build();
    }
}
