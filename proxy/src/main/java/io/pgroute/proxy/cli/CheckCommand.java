package io.pgroute.proxy.cli;

import io.pgroute.config.ConfigException;
import io.pgroute.config.ConfigLoader;
import io.pgroute.config.ListenConfig;
import io.pgroute.config.ProxyConfig;
import io.pgroute.proxy.routing.ControlPlaneCheck;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code pgroute check --config proxy.yaml}: prints every problem of a configuration; non-zero exit if any. With
 * {@code --connect}, also logs in to every node as the control plane would ({@link ControlPlaneCheck}).
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Validate a proxy.yaml: print every problem with its path and line, exit 1 if there is any.",
                "With --connect, also log in to every node as pgroute's control plane does (monitor_user, else user;"
                        + " the configured TLS) and run each auth_query: one line per check, exit 1 if one fails."})
final class CheckCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true, description = "the proxy.yaml to check")
    Path config;

    @Option(names = "--connect", description = "also reach every node and run each auth_query")
    boolean connect;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            ProxyConfig loaded = ConfigLoader.load(config);
            String socket = loaded.listen().unixSocket()
                    .map(dir -> " and " + Path.of(dir).resolve(ListenConfig.unixSocketName(loaded.listen().port())))
                    .orElse("");
            out.printf("%s: OK (%d databases, %d users, listening on %s:%d%s)%n", config, loaded.databases().size(),
                    loaded.users().size(), loaded.listen().host(), loaded.listen().port(), socket);
            out.flush();
            if (!connect) {
                return 0;
            }
            boolean failed = false;
            for (var database : loaded.databases().values()) {
                for (ControlPlaneCheck.Line line : ControlPlaneCheck.of(database)) {
                    (line.ok() ? out : err).println(line.text());
                    failed |= !line.ok();
                }
            }
            out.flush();
            err.flush();
            return failed ? 1 : 0;
        } catch (ConfigException e) {
            err.println(e.getMessage());
            err.flush();
            return 1;
        }
    }
}
