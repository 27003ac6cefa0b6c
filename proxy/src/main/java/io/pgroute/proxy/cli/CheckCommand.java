package io.pgroute.proxy.cli;

import io.pgroute.config.ConfigException;
import io.pgroute.config.ConfigLoader;
import io.pgroute.config.ListenConfig;
import io.pgroute.config.ProxyConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code pgroute check --config proxy.yaml}: prints every problem of a configuration; non-zero exit if any. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Validate a proxy.yaml: print every problem with its path and line, exit 1 if there is any.")
final class CheckCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true, description = "the proxy.yaml to check")
    Path config;

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
            return 0;
        } catch (ConfigException e) {
            err.println(e.getMessage());
            err.flush();
            return 1;
        }
    }
}
