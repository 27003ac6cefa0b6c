package io.pgroute.proxy.cli;

import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** psql (libpq) through pgroute, where psql is installed. */
class PsqlIT {

    private static final Path PSQL = Path.of("/usr/bin/psql");
    private static ProxyFixture fixture;

    @BeforeAll
    static void start() {
        assumeTrue(Files.isExecutable(PSQL), "psql is not installed");
        fixture = ProxyFixture.get();
    }

    @Test
    void runsQueriesAndReportsErrors() throws Exception {
        Result ok = psql("sslmode=disable", "-c", "SELECT count(*) FROM products");
        assertThat(ok.exit).isZero();
        assertThat(ok.output.trim()).isEqualTo("5");
        Result failed = psql("sslmode=disable", "-v", "ON_ERROR_STOP=1", "-c", "SELECT 1/0");
        assertThat(failed.exit).isNotZero();
        assertThat(failed.output).contains("division by zero");
    }

    /**
     * COMPAT S3 (in part): libpq's {@code gssencmode=prefer} and {@code sslmode=prefer} against a pgroute without TLS:
     * the SSLRequest is answered 'N' and the login goes on in plaintext. libpq sends a GSSENCRequest only when it
     * finds Kerberos credentials, which this machine has none of; ClientStartupHandlerTest answers one with 'N'.
     */
    @Test
    void fallsBackToPlaintextWhenSslIsPreferredButOff() throws Exception {
        Result ok = psql("sslmode=prefer gssencmode=prefer", "-c", "SELECT current_user");
        assertThat(ok.exit).isZero();
        assertThat(ok.output.trim()).isEqualTo("app");
    }

    @Test
    void refusesAWrongPassword() throws Exception {
        Result refused = run("wrong", "sslmode=disable", "-c", "SELECT 1");
        assertThat(refused.exit).isNotZero();
        assertThat(refused.output).contains("password authentication failed for user \"app\"");
    }

    /**
     * COMPAT P2: libpq's {@code target_session_attrs=read-write} and {@code =primary} read the
     * {@code default_transaction_read_only} and {@code in_hot_standby} pgroute reports (a replica reports
     * {@code in_hot_standby=on}). With a replica listed first and pgroute second, psql skips the replica and lands on
     * pgroute, 20 times each; {@code =standby} refuses pgroute alone.
     */
    @Test
    void libpqThatWantsTheReadWriteServerChoosesPgrouteOverAReplica() throws Exception {
        int replica = fixture.cluster().replicas().get(0).port();
        for (String attrs : new String[] {"read-write", "primary"}) {
            for (int i = 0; i < 20; i++) {
                Result chosen = runOn("127.0.0.1,127.0.0.1", replica + "," + fixture.port(),
                        "sslmode=disable target_session_attrs=" + attrs, "-c", "\\echo :PORT");
                assertThat(chosen.exit).as("%s, %d: %s", attrs, i, chosen.output).isZero();
                assertThat(chosen.output.trim()).as("%s, %d", attrs, i).isEqualTo(String.valueOf(fixture.port()));
            }
        }
        Result standby = runOn("127.0.0.1", String.valueOf(fixture.port()),
                "sslmode=disable target_session_attrs=standby", "-c", "SELECT 1");
        assertThat(standby.exit).isNotZero();
        assertThat(standby.output).contains("server is not in hot standby mode");
    }

    /**
     * COMPAT S6: settings in {@code PGOPTIONS} ({@code -c name=value}, a backslash-escaped space in a value) hold
     * for every statement of the session, whichever server connection runs it.
     */
    @Test
    void settingsInPgoptionsHoldForEveryStatement() throws Exception {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            args.addAll(List.of("-c", "SELECT current_setting('statement_timeout') || ' ' "
                    + "|| current_setting('search_path') || ' ' || current_setting('DateStyle')"));
        }
        java.util.Map<String, String> options = java.util.Map.of("PGOPTIONS",
                "-c statement_timeout=1234 -c search_path=a,b --datestyle=SQL,\\ DMY");
        Result direct = run("127.0.0.1", String.valueOf(fixture.cluster().primary().port()), "app",
                "sslmode=disable", options, args.toArray(String[]::new));
        assertThat(direct.exit).as(direct.output).isZero();
        assertThat(direct.output.strip().lines().distinct().toList()).containsExactly("1234ms a,b SQL, DMY");
        Result result = run("app", "sslmode=disable", options, args.toArray(String[]::new));
        assertThat(result.exit).as(result.output).isZero();
        assertThat(result.output).isEqualTo(direct.output);
    }

    private record Result(int exit, String output) {
    }

    private static Result psql(String conninfoExtra, String... args) throws Exception {
        return run("app", conninfoExtra, args);
    }

    private static Result run(String password, String conninfoExtra, String... args) throws Exception {
        return run(password, conninfoExtra, java.util.Map.of(), args);
    }

    private static Result run(String password, String conninfoExtra, java.util.Map<String, String> environment,
            String... args) throws Exception {
        return run("127.0.0.1", String.valueOf(fixture.port()), password, conninfoExtra, environment, args);
    }

    private static Result runOn(String hosts, String ports, String conninfoExtra, String... args) throws Exception {
        return run(hosts, ports, "app", conninfoExtra, java.util.Map.of(), args);
    }

    private static Result run(String hosts, String ports, String password, String conninfoExtra,
            java.util.Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PSQL.toString(), "-X", "-A", "-t",
                "host=" + hosts + " port=" + ports + " dbname=app user=app connect_timeout=10 " + conninfoExtra));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", password);
        builder.environment().putAll(environment);
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
