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

    private record Result(int exit, String output) {
    }

    private static Result psql(String conninfoExtra, String... args) throws Exception {
        return run("app", conninfoExtra, args);
    }

    private static Result run(String password, String conninfoExtra, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PSQL.toString(), "-X", "-A", "-t",
                "host=127.0.0.1 port=" + fixture.port() + " dbname=app user=app connect_timeout=10 " + conninfoExtra));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", password);
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
