package io.pgroute.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Logging ({@code logging:}). Levels are SLF4J level names in upper case: TRACE, DEBUG, INFO, WARN, ERROR or OFF.
 *
 * @param format text or JSON lines, default {@link LogFormat#TEXT}
 * @param level the root level, default {@code INFO}
 * @param levels levels per logger name (a package or class), in file order; default empty
 */
public record LoggingConfig(LogFormat format, String level, Map<String, String> levels) {

    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");
    private static final String EXPECTED = "must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF";

    /** Checks that every component is present and copies the map, keeping its order. */
    public LoggingConfig {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(level, "level");
        levels = Collections.unmodifiableMap(new LinkedHashMap<>(levels));
    }

    /** Text format, INFO, no per-logger levels. */
    public static LoggingConfig defaults() {
        return new LoggingConfig(LogFormat.TEXT, "INFO", Map.of());
    }

    static LoggingConfig read(MappingReader reader) {
        LogFormat format = reader.choice("format", LogFormat.class, LogFormat.TEXT);
        String level = reader.string("level").map(each -> level(reader, "level", each)).orElse("INFO");
        Map<String, String> levels = new LinkedHashMap<>();
        reader.mapping("levels").ifPresent(section -> section.entries().keySet().forEach(logger ->
                section.string(logger).ifPresent(each -> levels.put(logger, level(section, logger, each)))));
        reader.finish();
        return new LoggingConfig(format, level, levels);
    }

    private static String level(MappingReader reader, String key, String value) {
        String result = value.strip().toUpperCase(Locale.ROOT);
        if (!LEVELS.contains(result)) {
            reader.problem(key, EXPECTED);
            return "INFO";
        }
        return result;
    }
}
