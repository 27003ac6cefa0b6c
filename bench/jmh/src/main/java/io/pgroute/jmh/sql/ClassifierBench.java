package io.pgroute.jmh.sql;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.Classifier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link Classifier#classify} on pgbench's TPC-B-like statements, one statement per operation:
 *
 * <ul>
 *   <li>{@code cachedSimple}: the texts as simple protocol sends them, literals inlined and fresh each
 *       transaction, so each call lexes the text into its fingerprint and finds that shape cached;</li>
 *   <li>{@code cachedPrepared}: the same statements with {@code $n} parameters, identical every time, found
 *       by raw text without lexing;</li>
 *   <li>{@code cold}: the five statements that name a table, each text a shape never seen before (the table
 *       names carry a counter), so each call lexes, parses with JSqlParser on the parser pool, analyses and
 *       inserts into the cache (evicting once it holds 10 000). BEGIN and END, which the lexer alone classifies
 *       and which have no name to vary, are left out.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ClassifierBench {

    /** Transactions whose simple-protocol texts are cycled through; more than fit a CPU cache. */
    private static final int TRANSACTIONS = 1024;

    private static final String[] PREPARED = {
        "BEGIN",
        "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
        "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
        "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2",
        "UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2",
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)",
        "END",
    };

    private Classifier classifier;
    private String[] simple;
    private int next;
    private final SplittableRandom coldRandom = new SplittableRandom(31);
    private String[] coldBatch = PREPARED;
    private int coldNext = PREPARED.length - 1;
    private long coldSuffix;

    @Setup(Level.Trial)
    public void setUp() {
        classifier = new Classifier(new BuiltinFunctions(), 10_000);
        SplittableRandom random = new SplittableRandom(13);
        simple = new String[TRANSACTIONS * PREPARED.length];
        for (int i = 0; i < TRANSACTIONS; i++) {
            System.arraycopy(transaction(random, ""), 0, simple, i * PREPARED.length, PREPARED.length);
        }
        for (String each : simple) {
            classifier.classify(each);
        }
        for (String each : PREPARED) {
            classifier.classify(each);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        classifier.close();
    }

    @Benchmark
    public void cachedSimple(Blackhole blackhole) {
        blackhole.consume(classifier.classify(simple[next]));
        next = next + 1 == simple.length ? 0 : next + 1;
    }

    @Benchmark
    public void cachedPrepared(Blackhole blackhole) {
        blackhole.consume(classifier.classify(PREPARED[next]));
        next = next + 1 == PREPARED.length ? 0 : next + 1;
    }

    @Benchmark
    public void cold(Blackhole blackhole) {
        if (coldNext == coldBatch.length - 1) {
            coldBatch = transaction(coldRandom, "_" + coldSuffix++);
            coldNext = 1;
        }
        blackhole.consume(classifier.classify(coldBatch[coldNext++]));
    }

    /** One transaction of pgbench's built-in script as simple protocol sends it, literals inlined. */
    private static String[] transaction(SplittableRandom random, String suffix) {
        int aid = random.nextInt(1, 100_001);
        int bid = random.nextInt(1, 2);
        int tid = random.nextInt(1, 11);
        int delta = random.nextInt(-5000, 5001);
        return new String[] {
            "BEGIN;",
            "UPDATE pgbench_accounts" + suffix + " SET abalance = abalance + " + delta + " WHERE aid = " + aid + ";",
            "SELECT abalance FROM pgbench_accounts" + suffix + " WHERE aid = " + aid + ";",
            "UPDATE pgbench_tellers" + suffix + " SET tbalance = tbalance + " + delta + " WHERE tid = " + tid + ";",
            "UPDATE pgbench_branches" + suffix + " SET bbalance = bbalance + " + delta + " WHERE bid = " + bid + ";",
            "INSERT INTO pgbench_history" + suffix + " (tid, bid, aid, delta, mtime) VALUES (" + tid + ", " + bid
                    + ", " + aid + ", " + delta + ", CURRENT_TIMESTAMP);",
            "END;",
        };
    }
}
