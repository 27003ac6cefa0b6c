package io.pgroute.proxy.cli;

import io.pgroute.config.ConfigException;
import io.pgroute.config.ConfigLoader;
import io.pgroute.config.ProxyConfig;
import io.pgroute.proxy.logging.LogSetup;
import io.pgroute.proxy.server.PgrouteServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code pgroute --config proxy.yaml} runs the proxy; {@code pgroute check} validates a configuration;
 * {@code pgroute demo} starts a throwaway cluster with a proxy in front of it.
 */
@Command(name = "pgroute", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"PostgreSQL wire-protocol proxy: pooling, read/write splitting, result cache.",
                "",
                "Runs the proxy described by a proxy.yaml. Clients connect to it as to PostgreSQL."},
        subcommands = {CheckCommand.class, DemoCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:", "  pgroute --config proxy.yaml", "  pgroute check --config proxy.yaml",
                "  pgroute demo --port 6432"})
public final class PgrouteCli implements Callable<Integer> {

    private static final org.slf4j.Logger LOGGER = org.slf4j.LoggerFactory.getLogger(PgrouteCli.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "the proxy.yaml to run")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (config == null) {
            spec.commandLine().usage(spec.commandLine().getErr());
            return 2;
        }
        ProxyConfig loaded;
        try {
            loaded = ConfigLoader.load(config);
        } catch (ConfigException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("pgroute: " + config + " has problems:");
            err.println(e.getMessage());
            err.flush();
            return 1;
        }
        LogSetup.apply(loaded.logging());
        PgrouteServer server = new PgrouteServer(loaded).start().configSource(config);
        reloadOnSighup(server);
        awaitShutdown(() -> server.stop(loaded.limits().shutdownTimeout()));
        return 0;
    }

    /** SIGHUP re-reads the configuration file; a file with problems is rejected and logged, the proxy goes on. */
    private static void reloadOnSighup(PgrouteServer server) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> {
                try {
                    PgrouteServer.ReloadReport report = server.reloadFromSource();
                    if (!report.needsRestart().isEmpty()) {
                        LOGGER.warn("SIGHUP: reloaded; these changes need a restart: {}", report.needsRestart());
                    }
                } catch (ConfigException e) {
                    LOGGER.error("SIGHUP: configuration rejected, keeping the running one:\n{}", e.getMessage());
                } catch (RuntimeException e) {
                    LOGGER.error("SIGHUP: reload failed, keeping the running configuration", e);
                }
            });
        } catch (IllegalArgumentException e) {
            LOGGER.info("SIGHUP is not available here ({}): reload with the admin console's RELOAD", e.getMessage());
        }
    }

    /** Blocks until SIGTERM/SIGINT, then runs {@code onShutdown} in the shutdown hook. */
    static void awaitShutdown(Runnable onShutdown) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                onShutdown.run();
            } finally {
                stopped.countDown();
            }
        }, "pgroute-shutdown"));
        stopped.await();
    }

    public static void main(String[] args) {
        // Netty samples buffers for leak reports unless told otherwise; that costs about 5% of the event loops'
        // time on small queries (a stack trace per sampled buffer). Off in production unless the operator asks
        // (-Dio.netty.leakDetection.level=simple|advanced|paranoid); the test suite runs with paranoid.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        int code = commandLine().execute(args);
        if (code != 0 || isOneShot(args)) {
            System.exit(code);
        }
    }

    private static boolean isOneShot(String[] args) {
        for (String each : args) {
            if (each.equals("check") || each.equals("--help") || each.equals("-h") || each.equals("--version")
                    || each.equals("-V") || each.equals("help")) {
                return true;
            }
        }
        return false;
    }

    /** The configured command line, for main and tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new PgrouteCli()).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(PgrouteCli::cannotStart);
    }

    /**
     * A command that could not start (its port or socket taken, a socket directory missing, a cluster that would
     * not come up): one line saying why, exit code 1, instead of a stack trace. Whatever had started is stopped by
     * the command itself before the exception gets here.
     */
    private static int cannotStart(Exception e, CommandLine command, CommandLine.ParseResult parsed) {
        Throwable root = e;
        while (root.getCause() != null && root.getMessage() == null) {
            root = root.getCause();
        }
        LOGGER.debug("cannot start", e);
        PrintWriter err = command.getErr();
        err.println("pgroute: cannot start: " + (root.getMessage() != null ? root.getMessage()
                : root.getClass().getSimpleName()));
        err.flush();
        return 1;
    }
}
