package io.pgroute.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown when a configuration file cannot be read or is invalid. It carries every problem found, not just the first,
 * so an operator can fix them all in one edit; {@link #getMessage()} lists them one per line, in file order, as
 * {@code proxy.yaml:12: databases.app.primary.port: must be 1-65535}.
 */
public final class ConfigException extends Exception {

    private final String sourceName;
    private final List<ConfigProblem> problems;

    /**
     * Creates an exception for the given problems.
     *
     * @param sourceName the file name as shown to the operator
     * @param problems at least one problem
     */
    public ConfigException(String sourceName, List<ConfigProblem> problems) {
        super(render(sourceName, problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.sourceName = sourceName;
        this.problems = List.copyOf(problems);
    }

    /** The file name the problems were found in, as shown to the operator. */
    public String sourceName() {
        return sourceName;
    }

    /** Every problem found, in file order (problems without a line first). */
    public List<ConfigProblem> problems() {
        return problems;
    }

    private static String render(String sourceName, List<ConfigProblem> problems) {
        return problems.stream().map(each -> each.format(sourceName)).collect(Collectors.joining("\n"));
    }
}
