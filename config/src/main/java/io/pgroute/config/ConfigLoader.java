package io.pgroute.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns {@code proxy.yaml} into a validated {@link ProxyConfig}. Every problem in the file (unknown keys, wrong
 * types, values out of range, missing sections, unset environment variables, missing TLS files) is collected and
 * thrown at once in a {@link ConfigException}, each with its YAML path and line.
 *
 * <pre>
 * YAML text ─YamlTreeReader─▶ YamlNode tree ─*Config.read─▶ ProxyConfig
 *             (lines kept, ${VAR} substituted)   │
 *                     └──── problems ────────────┴──▶ ConfigException (all of them, in file order)
 * </pre>
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /**
     * Reads and validates a configuration file, substituting variables from the process environment. Relative
     * TLS file paths are resolved against the file's directory.
     *
     * @param file the configuration file, UTF-8
     * @return the configuration
     * @throws ConfigException if the file cannot be read or is invalid
     */
    public static ProxyConfig load(Path file) throws ConfigException {
        String sourceName = file.toString();
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(sourceName, List.of(new ConfigProblem("", 0, "file not found")));
        } catch (CharacterCodingException e) {
            throw new ConfigException(sourceName, List.of(new ConfigProblem("", 0, "file is not valid UTF-8")));
        } catch (IOException e) {
            throw new ConfigException(sourceName, List.of(new ConfigProblem("", 0, "cannot read file: " + e)));
        }
        Path parent = file.toAbsolutePath().getParent();
        return parse(yaml, sourceName, System::getenv, parent == null ? Path.of("") : parent);
    }

    /**
     * Validates configuration text. Relative TLS file paths are resolved against the working directory.
     *
     * @param yaml the YAML text
     * @param sourceName the name to show in problems, such as {@code proxy.yaml}
     * @param env looks up environment variables for {@code ${VAR}}; returns null for an unset variable
     * @return the configuration
     * @throws ConfigException if the text is invalid
     */
    public static ProxyConfig parse(String yaml, String sourceName, Function<String, String> env)
            throws ConfigException {
        return parse(yaml, sourceName, env, Path.of(""));
    }

    static ProxyConfig parse(String yaml, String sourceName, Function<String, String> env, Path baseDir)
            throws ConfigException {
        Objects.requireNonNull(yaml, "yaml");
        Objects.requireNonNull(env, "env");
        Problems problems = new Problems();
        ProxyConfig result = new YamlTreeReader(new EnvInterpolator(env), problems).read(yaml)
                .map(tree -> rootOf(tree, problems))
                .flatMap(root -> root.map(each -> ProxyConfig.read(each, baseDir)))
                .orElse(null);
        problems.throwIfAny(sourceName);
        return result;
    }

    private static Optional<MappingReader> rootOf(YamlNode tree, Problems problems) {
        boolean empty = tree instanceof YamlNode.Scalar scalar && scalar.isNull();
        return MappingReader.of("", empty ? new YamlNode.Mapping(Map.of(), Map.of(), 0) : tree, problems);
    }
}
