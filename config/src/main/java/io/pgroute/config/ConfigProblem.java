package io.pgroute.config;

import java.util.Objects;

/**
 * One problem found in a configuration file: the YAML path it concerns (for example
 * {@code databases.app.primary.port}), the 1-based line it was found on ({@code 0} when unknown) and a
 * human-readable message.
 *
 * <p>{@link #toString()} renders {@code line 12: databases.app.primary.port: must be 1-65535}; {@link #format(String)}
 * renders the compiler-style {@code proxy.yaml:12: databases.app.primary.port: must be 1-65535} used by
 * {@link ConfigException#getMessage()}. A line of zero or less and an empty path are omitted.
 */
public record ConfigProblem(String path, int line, String message) {

    /** Checks the components; {@code path} may be empty for problems that concern the whole file. */
    public ConfigProblem {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
    }

    /**
     * Renders this problem prefixed with the name of the file it was found in.
     *
     * @param sourceName the file name as shown to the operator, for example {@code proxy.yaml}
     * @return {@code sourceName:line: path: message}, without the parts that are unknown
     */
    public String format(String sourceName) {
        StringBuilder result = new StringBuilder(sourceName);
        if (line > 0) {
            result.append(':').append(line);
        }
        return result.append(": ").append(pathAndMessage()).toString();
    }

    @Override
    public String toString() {
        return line > 0 ? "line " + line + ": " + pathAndMessage() : pathAndMessage();
    }

    private String pathAndMessage() {
        return path.isEmpty() ? message : path + ": " + message;
    }
}
