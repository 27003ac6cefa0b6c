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
        description = {"PostgreSQL wire-protocol proxy: read/write splitting, result cache, sharding.",
                "",
                "Runs the proxy described by a proxy.yaml. Clients connect to it as to PostgreSQL."},
        subcommands = {CheckCommand.class, DemoCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:", "  pgroute --config proxy.yaml", "  pgroute check --config proxy.yaml",
                "  pgroute demo --port 6432"})
public final class PgrouteCli implements Callable<Integer> {

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
        PgrouteServer server = new PgrouteServer(loaded).start();
        awaitShutdown(() -> server.stop(loaded.limits().shutdownTimeout()));
        return 0;
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
        return new CommandLine(new PgrouteCli()).setCaseInsensitiveEnumValuesAllowed(true);
    }
}
