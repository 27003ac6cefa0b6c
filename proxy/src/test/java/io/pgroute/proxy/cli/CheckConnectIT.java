package io.pgroute.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgroute.localcluster.LocalCluster;
import io.pgroute.proxy.testing.ProxyFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code pgroute check --connect}: after the file, every node is reached as the control plane would reach it, and each
 * auth_query runs; a login or query that fails is named with its SQLSTATE and the exit status is 1.
 */
class CheckConnectIT {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void reachesEveryNodeAsTheControlPlaneAndRunsTheAuthQuery(@TempDir Path dir) throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        String yaml = ProxyFixture.yaml(cluster, Map.of()).replace("    dbname: app\n    user: app\n    password: app\n",
                "    dbname: app\n    user: app\n    password: app\n    monitor_user: " + cluster.superuser()
                        + "\n    monitor_password: " + cluster.superuserPassword() + "\n"
                        + "    auth_query: \"SELECT rolname, rolpassword FROM pg_authid WHERE rolname = $1\"\n");
        Path file = Files.writeString(dir.resolve("proxy.yaml"), yaml);

        assertThat(run("check", "--connect", "--config", file.toString())).as(err.toString()).isZero();
        assertThat(out.toString())
                .containsPattern("app/primary 127\\.0\\.0\\.1:" + cluster.primary().port() + ": OK as "
                        + cluster.superuser() + ", PostgreSQL \\d+\\.\\d+")
                .contains("writable")
                .contains("app/replica1 127.0.0.1:" + cluster.replicas().get(0).port() + ": OK as "
                        + cluster.superuser())
                .contains("in recovery")
                .contains("app auth_query: OK (2 columns, the last one read as the secret)");
    }

    @Test
    void namesWhatFailsAndExitsNonZero(@TempDir Path dir) throws Exception {
        LocalCluster cluster = ProxyFixture.get().cluster();
        String yaml = ProxyFixture.yaml(cluster, Map.of()).replace("    dbname: app\n    user: app\n    password: app\n",
                "    dbname: app\n    user: app\n    password: app\n    monitor_user: app\n    monitor_password: nope\n"
                        + "    auth_query: \"SELECT passwd FROM no_such_function($1)\"\n");
        Path file = Files.writeString(dir.resolve("proxy.yaml"), yaml);

        assertThat(run("check", "--connect", "--config", file.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("app/primary 127.0.0.1:" + cluster.primary().port() + ": 28P01")
                .contains("app auth_query: 28P01");
    }

    private int run(String... args) {
        CommandLine cli = PgrouteCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }
}
