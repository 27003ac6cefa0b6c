package io.pgroute.proxy.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class PgrouteCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = PgrouteCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void helpListsTheCommands() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("--config", "check", "demo");
    }

    @Test
    void helpClaimsOnlyWhatPgrouteDoesToday() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("pooling", "read/write splitting", "result cache")
                .doesNotContainIgnoringCase("shard");  // on the roadmap (README), not in the proxy yet
    }

    @Test
    void versionNamesPgroute() {
        assertThat(run("--version")).isZero();
        assertThat(out.toString()).startsWith("pgroute ");
    }

    @Test
    void checkAcceptsAValidConfig(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("proxy.yaml");
        Files.writeString(yaml, "users:\n  app: { password: app }\ndatabases:\n  app:\n"
                + "    primary: { host: 127.0.0.1, port: 5432 }\n");
        assertThat(run("check", "--config", yaml.toString())).isZero();
        assertThat(out.toString()).contains("OK (1 databases, 1 users, listening on 127.0.0.1:6432)");
    }

    @Test
    void checkNamesTheUnixDomainSocket(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("proxy.yaml");
        Files.writeString(yaml, "listen: { port: 7432, unix_socket_dir: /var/run/pgroute }\n"
                + "users:\n  app: { password: app }\ndatabases:\n  app:\n"
                + "    primary: { host: /var/run/postgresql }\n");
        assertThat(run("check", "--config", yaml.toString())).isZero();
        assertThat(out.toString()).contains("listening on 127.0.0.1:7432 and /var/run/pgroute/.s.PGSQL.7432)");
    }

    @Test
    void checkReportsEveryProblemWithItsPathAndExitsNonZero(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("proxy.yaml");
        Files.writeString(yaml, "users:\n  app: { password: app }\ndatabases:\n  app:\n"
                + "    primary: { host: 127.0.0.1, port: 70000 }\npool:\n  size: many\n");
        assertThat(run("check", "--config", yaml.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("databases.app.primary.port", "pool.size");
    }

    @Test
    void aProxyThatCannotStartSaysWhyInOneLine(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("proxy.yaml");
        Path missing = dir.resolve("no-such-dir");
        Files.writeString(yaml, "listen: { port: 0, unix_socket_dir: " + missing + " }\n"
                + "users:\n  app: { password: app }\ndatabases:\n  app:\n"
                + "    primary: { host: 127.0.0.1, port: 5432 }\n");
        assertThat(run("--config", yaml.toString())).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("pgroute: cannot start: listen.unix_socket_dir " + missing
                + " is not a directory" + System.lineSeparator());
    }

    @Test
    void runWithoutConfigPrintsUsage() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("Usage: pgroute");
    }
}
