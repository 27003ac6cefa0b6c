package io.pgroute.proxy.cli;

import io.pgroute.config.ConfigLoader;
import io.pgroute.config.ProxyConfig;
import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import io.pgroute.proxy.demo.DemoCluster;
import io.pgroute.proxy.server.PgrouteServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code pgroute demo}: a throwaway primary, replicas and Redis on 127.0.0.1, a sample database, and pgroute in
 * front of them. Ctrl-C stops everything and removes the data (unless {@code --keep-data}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start a throwaway PostgreSQL primary, replicas and Redis on 127.0.0.1 with pgroute in front.",
                "Database app, user app/app, admin user admin/admin. Ctrl-C stops and removes everything."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "6432", description = "port for pgroute (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--replicas", defaultValue = "2", description = "number of streaming replicas "
            + "(default: ${DEFAULT-VALUE})")
    int replicas;

    @Option(names = "--keep-data", paramLabel = "DIR", description = "put the cluster's data in DIR and keep it")
    Path keepData;

    @Option(names = "--metrics-port", defaultValue = "9930", description = "port for Prometheus metrics on "
            + "127.0.0.1, 0 for any free port, -1 for none (default: ${DEFAULT-VALUE})")
    int metricsPort;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        out.println("Starting a PostgreSQL primary, " + replicas + " replicas and Redis on 127.0.0.1 ...");
        out.flush();
        LocalCluster.Builder builder = LocalCluster.builder().replicas(replicas).redis(true);
        if (keepData != null) {
            builder.baseDir(keepData).keepData(true);
        }
        LocalCluster cluster = builder.start();
        PgrouteServer server;
        try {
            DemoCluster.seed(cluster);
            Path yaml = DemoCluster.writeProxyYaml(cluster, port, metricsPort);
            ProxyConfig config = ConfigLoader.load(yaml);
            server = new PgrouteServer(config).start().configSource(yaml);
            printWelcome(out, cluster, yaml, server.port(), server.metricsPort(), server.unixSocket());
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
        PgrouteServer running = server;
        PgrouteCli.awaitShutdown(() -> {
            running.stop(Duration.ofSeconds(5));
            cluster.close();
        });
        return 0;
    }

    private static void printWelcome(PrintWriter out, LocalCluster cluster, Path yaml, int port,
                                     java.util.OptionalInt metricsPort, java.util.Optional<Path> socket) {
        out.println();
        out.println("pgroute demo is running.");
        out.println("  primary:  127.0.0.1:" + cluster.primary().port());
        for (PgNode each : cluster.replicas()) {
            out.println("  replica:  127.0.0.1:" + each.port());
        }
        cluster.redis().ifPresent(redis -> out.println("  redis:    " + redis.uri()));
        out.println("  config:   " + yaml);
        out.println();
        out.println("Connect through pgroute (password: app):");
        out.println("  psql \"host=127.0.0.1 port=" + port + " dbname=app user=app\"");
        out.println("  jdbc:postgresql://127.0.0.1:" + port + "/app?user=app&password=app");
        socket.ifPresent(each -> out.println("  psql -h " + each.getParent() + " -p " + port
                + " -U app app     (its Unix-domain socket)"));
        out.println("Try: SELECT * FROM products;");
        out.println();
        metricsPort.ifPresent(each -> out.println("Metrics: http://127.0.0.1:" + each + "/metrics"));
        out.println("Press Ctrl-C to stop and remove everything.");
        out.flush();
    }
}
