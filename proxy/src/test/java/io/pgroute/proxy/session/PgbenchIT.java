package io.pgroute.proxy.session;

import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * pgbench through pgroute on a pool of four: initialization, then TPC-B-like and select-only runs with 8 clients in
 * each query mode (simple, extended, prepared), every transaction processed and none failed.
 */
class PgbenchIT {

    private static final int CLIENTS = 8;
    private static final int TRANSACTIONS_PER_CLIENT = 50;
    private static final Pattern PROCESSED = Pattern.compile(
            "number of transactions actually processed: (\\d+)/(\\d+)");

    private static Path pgbench;
    private static PgrouteServer server;

    @BeforeAll
    static void start() throws Exception {
        pgbench = findPgbench().orElse(null);
        assumeTrue(pgbench != null, "pgbench is not installed");
        ProxyFixture fixture = ProxyFixture.get();
        server = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(fixture.cluster(), Map.of("pool",
                "  size: 4")), "pgbench.yaml", System::getenv), 1).start();
        Result init = run(List.of("-i", "-s", "1", "-q"));
        assertThat(init.exitCode()).as("pgbench -i through pgroute:\n%s", init.output()).isZero();
        assertThat(init.output()).contains("done");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "-M {0} {1}")
    @CsvSource({"simple, tpcb-like", "extended, tpcb-like",
                "simple, select-only", "extended, select-only", "prepared, select-only"})
    void completesWithoutFailedTransactions(String mode, String script) throws Exception {
        Result result = run(List.of("-M", mode, "-b", script, "-c", String.valueOf(CLIENTS), "-j", "2",
                "-t", String.valueOf(TRANSACTIONS_PER_CLIENT), "-n"));
        assertThat(result.exitCode()).as("pgbench exit code; output:\n%s", result.output()).isZero();
        assertThat(result.output()).as(result.output()).contains("number of failed transactions: 0 ");
        Matcher processed = PROCESSED.matcher(result.output());
        assertThat(processed.find()).as(result.output()).isTrue();
        int expected = CLIENTS * TRANSACTIONS_PER_CLIENT;
        assertThat(Integer.parseInt(processed.group(1))).isEqualTo(expected);
        assertThat(Integer.parseInt(processed.group(2))).isEqualTo(expected);
        assertBalancesAddUp();
    }

    /**
     * Every TPC-B transaction adds its delta to one account, teller and branch and writes it to the history: the
     * sums agree unless a write was lost, applied twice or applied without its transaction's others.
     */
    private static void assertBalancesAddUp() throws java.sql.SQLException {
        try (java.sql.Connection c = ProxyFixture.get().connectDirect(); java.sql.Statement s = c.createStatement();
             java.sql.ResultSet sums = s.executeQuery("SELECT (SELECT sum(abalance) FROM pgbench_accounts), "
                     + "(SELECT sum(tbalance) FROM pgbench_tellers), (SELECT sum(bbalance) FROM pgbench_branches), "
                     + "(SELECT coalesce(sum(delta), 0) FROM pgbench_history), "
                     + "(SELECT count(*) FROM pgbench_history)")) {
            assertThat(sums.next()).isTrue();
            long history = sums.getLong(4);
            assertThat(List.of(sums.getLong(1), sums.getLong(2), sums.getLong(3)))
                    .as("account, teller and branch balances against the history's %d deltas", sums.getLong(5))
                    .containsExactly(history, history, history);
        }
    }

    /**
     * pgbench prepares each command synchronously (Parse+Sync) the first time a client runs it, blocking its whole
     * thread; BEGIN is prepared outside any transaction, so it needs a backend while other clients of the same
     * thread hold the pool's connections mid-transaction (COMPAT V12).
     */
    @Test
    void completesPreparedTpcbWithMoreClientsThanConnections() throws Exception {
        completesWithoutFailedTransactions("prepared", "tpcb-like");
    }

    /**
     * The same in front of the primary alone: there every unit goes to the primary without waiting for its end, and
     * the lone Parse that pgroute could answer itself once its Sync is in must not lease a connection first.
     */
    @Test
    void completesPreparedTpcbWithMoreClientsThanConnectionsOnThePrimaryAlone() throws Exception {
        String yaml = ProxyFixture.yaml(ProxyFixture.get().cluster(), Map.of("pool", "  size: 4\n  timeout: 3s"))
                .replaceAll("(?m)^    replicas:\n(      - .*\n)+", "");
        assertThat(yaml).doesNotContain("replicas");
        try (PgrouteServer primaryOnly = new PgrouteServer(ConfigLoader.parse(yaml, "pgbench-primary.yaml",
                System::getenv), 1).start()) {
            Result result = run(primaryOnly, List.of("-M", "prepared", "-b", "tpcb-like", "-c", "16", "-j", "2",
                    "-t", String.valueOf(TRANSACTIONS_PER_CLIENT), "-n"));
            assertThat(result.exitCode()).as("pgbench exit code; output:\n%s", result.output()).isZero();
            assertThat(result.output()).as(result.output()).contains("number of failed transactions: 0 ");
        }
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> arguments) throws IOException, InterruptedException {
        return run(server, arguments);
    }

    private static Result run(PgrouteServer target, List<String> arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(pgbench.toString());
        command.addAll(List.of("-h", "127.0.0.1", "-p", String.valueOf(target.port()), "-U", "app"));
        command.addAll(arguments);
        command.add(ProxyFixture.DATABASE);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", "app");
        builder.environment().put("PGCONNECT_TIMEOUT", "10");
        Path log = Files.createTempFile("pgbench", ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        try {
            boolean finished = process.waitFor(60, TimeUnit.SECONDS);
            assertThat(finished).as("pgbench %s finished within 60 s", arguments).isTrue();
            return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    private static Optional<Path> findPgbench() throws IOException {
        Path usrBin = Path.of("/usr/bin/pgbench");
        if (Files.isExecutable(usrBin)) {
            return Optional.of(usrBin);
        }
        Path versions = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(versions)) {
            return Optional.empty();
        }
        try (Stream<Path> each = Files.list(versions)) {
            return each.map(version -> version.resolve("bin/pgbench")).filter(Files::isExecutable)
                    .max(Path::compareTo);
        }
    }
}
