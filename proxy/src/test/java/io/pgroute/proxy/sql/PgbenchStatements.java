package io.pgroute.proxy.sql;

import java.util.List;
import java.util.SplittableRandom;

/** The seven statements of pgbench's built-in TPC-B-like script as simple protocol sends them: literals inlined. */
final class PgbenchStatements {
    private final SplittableRandom random;

    PgbenchStatements(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** One transaction of the script, with fresh random literals. */
    List<String> transaction() {
        int aid = random.nextInt(1, 100_001);
        int bid = random.nextInt(1, 2);
        int tid = random.nextInt(1, 11);
        int delta = random.nextInt(-5000, 5001);
        return List.of(
                "BEGIN;",
                "UPDATE pgbench_accounts SET abalance = abalance + " + delta + " WHERE aid = " + aid + ";",
                "SELECT abalance FROM pgbench_accounts WHERE aid = " + aid + ";",
                "UPDATE pgbench_tellers SET tbalance = tbalance + " + delta + " WHERE tid = " + tid + ";",
                "UPDATE pgbench_branches SET bbalance = bbalance + " + delta + " WHERE bid = " + bid + ";",
                "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (" + tid + ", " + bid + ", " + aid
                        + ", " + delta + ", CURRENT_TIMESTAMP);",
                "END;");
    }
}
