package io.pgroute.proxy.session;

import io.pgroute.proxy.server.PgrouteServer;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Drivers other than pgjdbc (node-postgres, postgres.js, psycopg 3, asyncpg, PHP PDO, Go's pgx), each running one script of its everyday patterns (unnamed and named statements,
 * statements queued back to back, errors, transactions, binary values, multi-statement queries, pools; psycopg's
 * pipeline mode, executemany and server-side cursors) against the primary directly and through pgroute (with
 * {@code consistency: global}, as the scripts' pools read on one connection what they wrote on another): the
 * outputs must be equal, also through a pgroute with the result cache (twice, so that repeated reads are
 * answered from it: each driver's message sequence gets the answer it expects). Skipped when the driver is not installed: node-postgres and postgres.js are installed with npm into
 * {@code target/drivers} on first use (needs the npm registry); psycopg 3 and asyncpg come from the system's
 * Python ({@code python3-psycopg}, {@code python3-asyncpg} on Debian), PDO from {@code php-pgsql}, pgx v4 is built
 * from Debian's Go sources ({@code golang-go}, {@code golang-github-jackc-pgx-v4-dev}); {@code .ci/run} installs them).
 * And the clients of all of them at once, with colliding statement names, on small pools (COMPAT V1); SQLAlchemy's
 * asyncio engine over asyncpg ({@code python3-sqlalchemy}, {@code python3-greenlet}; COMPAT V13).
 */
class DriverCompatibilityIT {

    private static final Path DRIVERS = Path.of("target", "drivers");
    private static final String GLOBAL = "  consistency: global\n";

    @Test
    void nodePostgresSeesWhatItSeesFromPostgresql() throws Exception {
        assertNodeScriptSameAsDirect("pg", "node-postgres.js");
    }

    @Test
    void postgresJsSeesWhatItSeesFromPostgresql() throws Exception {
        assertNodeScriptSameAsDirect("postgres", "postgres-js.js");
    }

    private static void assertNodeScriptSameAsDirect(String module, String name) throws Exception {
        Path modules = nodeModules(module);
        Path script = script(name);
        Map<String, String> env = Map.of("NODE_PATH", modules.toAbsolutePath().toString());
        assertSameAsDirect(port -> List.of("node", script.toString(), String.valueOf(port)), env);
    }

    /** {@code target/drivers/node_modules} with node-postgres and postgres.js, installed with npm on first use. */
    private static Path nodeModules(String module) throws Exception {
        Path modules = DRIVERS.resolve("node_modules");
        if (!Files.isDirectory(modules.resolve(module))) {
            assumeTrue(works(List.of("node", "--version")) && works(List.of("npm", "--version")),
                    "node and npm are not installed");
            Files.createDirectories(DRIVERS);
            assumeTrue(run(List.of("npm", "install", "--silent", "--no-audit", "--no-fund", "--fetch-retries=1",
                    "--fetch-timeout=30000", "--prefix",
                    DRIVERS.toAbsolutePath().toString(), "pg@8", "postgres@3"), Map.of(), 180).exit() == 0
                    && Files.isDirectory(modules.resolve(module)), "npm could not install " + module);
        }
        return modules;
    }

    @Test
    void psycopgSeesWhatItSeesFromPostgresql() throws Exception {
        String python = pythonWith("psycopg", "python3-psycopg");
        Path script = script("psycopg-driver.py");
        assertSameAsDirect(port -> List.of(python, script.toString(), String.valueOf(port)), Map.of());
    }

    @Test
    void asyncpgSeesWhatItSeesFromPostgresql() throws Exception {
        String python = pythonWith("asyncpg", "python3-asyncpg");
        Path script = script("asyncpg-driver.py");
        assertSameAsDirect(port -> List.of(python, script.toString(), String.valueOf(port)), Map.of());
    }

    @Test
    void phpPdoSeesWhatItSeesFromPostgresql() throws Exception {
        assumeTrue(works(List.of("php", "-r", "exit(extension_loaded('pdo_pgsql') ? 0 : 1);")),
                "PHP with pdo_pgsql is not installed (Debian: php-cli php-pgsql)");
        Path script = script("pdo.php");
        assertSameAsDirect(port -> List.of("php", script.toString(), String.valueOf(port)), Map.of());
    }

    @Test
    void pgxSeesWhatItSeesFromPostgresql() throws Exception {
        assumeTrue(pgxInstalled(),
                "Go with pgx v4 is not installed (Debian: golang-go golang-github-jackc-pgx-v4-dev)");
        Path binary = goBuild("pgx-driver.go", "pgxdriver");
        assertSameAsDirect(port -> List.of(binary.toString(), String.valueOf(port)), Map.of());
    }

    private static final Path GOPATH = Path.of("/usr/share/gocode");

    private static boolean pgxInstalled() {
        return Files.isDirectory(GOPATH.resolve("src/github.com/jackc/pgx/v4")) && works(List.of("go", "version"));
    }

    /** The program {@code script} (a resource), built against Debian's pgx v4 as package {@code name}. */
    private static Path goBuild(String script, String name) throws Exception {
        Path source = DRIVERS.resolve("pgx/src/" + name + "/main.go");
        Files.createDirectories(source.getParent());
        Files.copy(script(script), source, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path binary = DRIVERS.resolve(name).toAbsolutePath();
        // GOPATH mode over Debian's packaged sources: no module proxy needed
        Map<String, String> env = Map.of("GO111MODULE", "off", "GOFLAGS", "",
                "GOPATH", DRIVERS.resolve("pgx").toAbsolutePath() + ":" + GOPATH,
                "GOCACHE", DRIVERS.resolve("gocache").toAbsolutePath().toString());
        Result build = run(List.of("go", "build", "-o", binary.toString(), name), env, 600);
        assertThat(build.exit()).as("go build: %s", build.output()).isZero();
        return binary;
    }

    /**
     * COMPAT V1: statement names are the client's own. Clients of every driver installed (pgjdbc, and asyncpg,
     * psycopg 3, node-postgres, pgx in two processes each) run the same 20 statements at once through one pgroute
     * whose pools hold 4 connections per server, so each server connection serves many clients in turn. Their names
     * collide all the time: pgjdbc's {@code S_1}… and psycopg's {@code _pg3_0}… count per connection, asyncpg's
     * {@code __asyncpg_stmt_1__}… and pgx's {@code lrupsc_…} per process, node-postgres's are the script's, and odd
     * clients use them for other statements than even ones. Every answer must be right and no client may see 42P05
     * or 26000 (or anything else).
     */
    @Test
    void sameStatementNamesFromClientsOfEveryDriverNeverMeetOnAServerConnection() throws Exception {
        int clients = 25;
        int rounds = 4;
        String expected = "ok " + clients * rounds * 20 + " errors []";
        Map<String, List<String>> scripts = new LinkedHashMap<>();
        if (works(List.of("/usr/bin/python3", "-c", "import asyncpg"))) {
            scripts.put("asyncpg", List.of("/usr/bin/python3", script("names-asyncpg.py").toString()));
        }
        if (works(List.of("/usr/bin/python3", "-c", "import psycopg"))) {
            scripts.put("psycopg", List.of("/usr/bin/python3", script("names-psycopg.py").toString()));
        }
        Map<String, String> env = Map.of();
        try {
            env = Map.of("NODE_PATH", nodeModules("pg").toAbsolutePath().toString());
            scripts.put("node-postgres", List.of("node", script("names-node-postgres.js").toString()));
        } catch (TestAbortedException e) {
            // node-postgres not installed: the others run
        }
        if (pgxInstalled()) {
            scripts.put("pgx", List.of(goBuild("names-pgx.go", "pgxnames").toString()));
        }
        try (PgrouteServer proxy = ProxyFixture.server("names.yaml", Map.of("pool", "  size: 4\n"))) {
            List<String> args = List.of(String.valueOf(proxy.port()), String.valueOf(clients),
                    String.valueOf(rounds));
            Map<String, Launched> launched = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> each : scripts.entrySet()) {
                List<String> command = new ArrayList<>(each.getValue());
                command.addAll(args);
                for (int process = 1; process <= 2; process++) {
                    launched.put(each.getKey() + " process " + process, launch(command, env));
                }
            }
            String jdbc = pgjdbcWithSameNames(proxy, 2 * clients, rounds);
            assertThat(jdbc).as("pgjdbc, %d connections", 2 * clients)
                    .isEqualTo("ok " + 2 * clients * rounds * 20 + " errors []");
            for (Map.Entry<String, Launched> each : launched.entrySet()) {
                Result result = each.getValue().await(120);
                assertThat(result.exit()).as("%s: %s", each.getKey(), result.output()).isZero();
                assertThat(lastLine(result.output())).as(each.getKey()).isEqualTo(expected);
            }
        }
    }

    /**
     * COMPAT V13: SQLAlchemy's asyncio engine over asyncpg with its default settings keeps two statement caches
     * (asyncpg's per connection, SQLAlchemy's own) and runs its own queries at connect. Five rounds of 100 concurrent
     * requests on its pool of 5, through a pgroute with 2 server connections per server: every answer right, and no
     * DuplicatePreparedStatementError or InvalidSQLStatementNameError (nor anything else), as against PostgreSQL.
     */
    @Test
    void sqlalchemyAsyncEngineWithItsDefaultsSeesNoStatementErrors() throws Exception {
        String python = pythonWith("sqlalchemy.ext.asyncio, greenlet, asyncpg",
                "python3-sqlalchemy python3-greenlet python3-asyncpg");
        String script = script("sqlalchemy-asyncpg.py").toString();
        int rounds = 5;
        String expected = "ok " + rounds * 100 * 2 + " errors []";
        Result direct = run(List.of(python, script, String.valueOf(ProxyFixture.get().cluster().primary().port()),
                String.valueOf(rounds)), Map.of(), 120);
        assertThat(direct.exit()).as("against PostgreSQL: %s", direct.output()).isZero();
        assertThat(lastLine(direct.output())).as("against PostgreSQL").isEqualTo(expected);
        try (PgrouteServer proxy = ProxyFixture.server("sqlalchemy.yaml", Map.of("pool", "  size: 2\n"))) {
            Result proxied = run(List.of(python, script, String.valueOf(proxy.port()), String.valueOf(rounds)),
                    Map.of(), 120);
            assertThat(proxied.exit()).as("through pgroute: %s", proxied.output()).isZero();
            assertThat(lastLine(proxied.output())).as("through pgroute").isEqualTo(expected);
        }
    }

    /** {@code connections} pgjdbc clients (prepareThreshold 1) running the statements of the names-* scripts. */
    private static String pgjdbcWithSameNames(PgrouteServer proxy, int connections, int rounds) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(connections);
        try {
            List<Future<Integer>> answers = new ArrayList<>();
            Set<String> errors = ConcurrentHashMap.newKeySet();
            for (int client = 0; client < connections; client++) {
                int n = client;
                answers.add(threads.submit(() -> {
                    int good = 0;
                    Properties props = new Properties();
                    props.setProperty("user", "app");
                    props.setProperty("password", "app");
                    props.setProperty("prepareThreshold", "1");
                    try (Connection c = DriverManager.getConnection(
                            "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app", props)) {
                        for (int r = 0; r < rounds; r++) {
                            for (int i = 0; i < 20; i++) {
                                int k = n % 2 == 0 ? i : 19 - i;
                                try (PreparedStatement ps = c.prepareStatement("SELECT ?::int + " + k
                                        + " AS v")) {
                                    ps.setInt(1, n * 1000 + r);
                                    try (ResultSet rs = ps.executeQuery()) {
                                        rs.next();
                                        good += rs.getInt(1) == n * 1000 + r + k ? 1 : 0;
                                    }
                                } catch (SQLException e) {
                                    errors.add(e.getSQLState() + " " + e.getMessage());
                                }
                            }
                        }
                    }
                    return good;
                }));
            }
            int good = 0;
            for (Future<Integer> each : answers) {
                good += each.get(120, TimeUnit.SECONDS);
            }
            return "ok " + good + " errors " + new TreeSet<>(errors);
        } finally {
            threads.shutdownNow();
        }
    }

    /** A Python that can import {@code module}; the test is skipped when none can. */
    private static String pythonWith(String module, String debianPackage) {
        for (String candidate : List.of("/usr/bin/python3", "python3")) {
            if (works(List.of(candidate, "-c", "import " + module))) {
                return candidate;
            }
        }
        assumeTrue(false, module + " is not installed (Debian: " + debianPackage + ")");
        return null;
    }

    private interface Command {
        List<String> at(int port);
    }

    private static void assertSameAsDirect(Command command, Map<String, String> env) throws Exception {
        ProxyFixture fixture = ProxyFixture.get();
        Result direct = run(command.at(fixture.cluster().primary().port()), env, 120);
        assertThat(direct.exit()).as("against PostgreSQL: %s", direct.output()).isZero();
        // the scripts' pools write on one connection and read on another, which only global read-your-writes covers
        // (causal is per session: such a read may be answered by a replica that has not replayed the write yet)
        try (PgrouteServer proxy = ProxyFixture.server("drivers.yaml", Map.of("routing", GLOBAL))) {
            for (int round = 1; round <= 2; round++) {  // the second round finds its statements on the connections
                Result proxied = run(command.at(proxy.port()), env, 60);
                assertThat(proxied.exit()).as("round %d through pgroute: %s", round, proxied.output()).isZero();
                assertThat(lastLine(proxied.output())).as("round %d through pgroute, against PostgreSQL's %s", round,
                        direct.output()).isEqualTo(lastLine(direct.output()));
            }
        }
        String cache = "  enabled: true\n  redis: " + fixture.cluster().redis().orElseThrow().uri() + "\n";
        try (PgrouteServer cached = ProxyFixture.server("drivers-cache.yaml", Map.of("cache", cache,
                "routing", GLOBAL))) {
            long before = awaitCacheReady(cached);
            for (int round = 1; round <= 2; round++) {  // the second round's repeated reads can be cache hits
                Result withCache = run(command.at(cached.port()), env, 60);
                assertThat(withCache.exit()).as("through pgroute with the cache: %s", withCache.output()).isZero();
                assertThat(lastLine(withCache.output())).as("round %d through pgroute with the cache", round)
                        .isEqualTo(lastLine(direct.output()));
            }
            assertThat(hits(cached) - before).as("answers from the cache").isPositive();
        }
    }

    private static long hits(PgrouteServer server) {
        return server.resultCache().orElseThrow().redis().stats().hits();
    }

    /**
     * Reads until a read is answered from the cache: a new pgroute learns which tables it may cache in the background,
     * and a driver as quick as pgx would otherwise be done before. Returns the hits so far.
     */
    private static long awaitCacheReady(PgrouteServer server) {
        org.awaitility.Awaitility.await("the cache answers").atMost(java.time.Duration.ofSeconds(30))
                .pollInterval(java.time.Duration.ofMillis(100)).until(() -> {
                    long before = hits(server);
                    try (java.sql.Connection c = ProxyFixture.connect(server);
                         java.sql.Statement s = c.createStatement()) {
                        s.executeQuery("SELECT count(*) FROM products").close();
                    }
                    return hits(server) > before;
                });
        return hits(server);
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command, Map<String, String> env, int seconds)
            throws IOException, InterruptedException {
        return launch(command, env).await(seconds);
    }

    /** A started process and the file its output goes to. */
    private record Launched(Process process, Path log) {

        /** Its exit and output once it ended, or -1 when it had to be killed after {@code seconds}. */
        Result await(int seconds) throws IOException, InterruptedException {
            try {
                if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    return new Result(-1, "timed out after " + seconds + " s: " + Files.readString(log));
                }
                return new Result(process.exitValue(), Files.readString(log));
            } finally {
                Files.deleteIfExists(log);
            }
        }
    }

    private static Launched launch(List<String> command, Map<String, String> env) throws IOException {
        Files.createDirectories(DRIVERS);
        Path log = Files.createTempFile(DRIVERS, "run", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        return new Launched(builder.start(), log);
    }

    private static boolean works(List<String> command) {
        try {
            return run(command, Map.of(), 60).exit() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String lastLine(String output) {
        List<String> lines = new ArrayList<>(output.strip().lines().toList());
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    private static Path script(String name) throws IOException {
        Path target = DRIVERS.resolve(name);
        Files.createDirectories(DRIVERS);
        try (InputStream in = DriverCompatibilityIT.class.getResourceAsStream("/drivers/" + name)) {
            assertThat(in).as(name).isNotNull();
            Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return target.toAbsolutePath();
    }
}
