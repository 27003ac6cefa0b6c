package io.pgroute.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads typed values out of one YAML mapping, reporting every problem with its path and line instead of failing
 * on the first. Each accessor remembers the key it was asked for; {@link #finish()} then reports every key that
 * no accessor asked for as unknown. Accessors return the default when a value is absent, null or invalid, so that
 * reading goes on and finds the remaining problems.
 */
final class MappingReader {

    private final String path;
    private final YamlNode.Mapping mapping;
    private final Problems problems;
    private final Set<String> known = new LinkedHashSet<>();

    private MappingReader(String path, YamlNode.Mapping mapping, Problems problems) {
        this.path = path;
        this.mapping = mapping;
        this.problems = problems;
    }

    /** A reader for {@code node}; empty if it is absent or null, or (reported) not a mapping. */
    static Optional<MappingReader> of(String path, YamlNode node, Problems problems) {
        if (node instanceof YamlNode.Mapping each) {
            return Optional.of(new MappingReader(path, each, problems));
        }
        if (node != null && !(node instanceof YamlNode.Scalar scalar && (scalar.isNull() || !scalar.valid()))) {
            problems.add(path, node.line(), "must be a mapping");
        }
        return Optional.empty();
    }

    /** Like {@link #of}, but a null value is reported too. */
    static Optional<MappingReader> ofRequired(String path, YamlNode node, Problems problems) {
        if (node instanceof YamlNode.Scalar scalar && scalar.isNull()) {
            problems.add(path, node.line(), "must be a mapping");
        }
        return of(path, node, problems);
    }

    String path() {
        return path;
    }

    int line() {
        return mapping.line();
    }

    Problems problems() {
        return problems;
    }

    String childPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** Reports a problem about this mapping as a whole. */
    void problem(String message) {
        problems.add(path, mapping.line(), message);
    }

    /** Reports a problem about {@code key}, at its value's line if present, else at this mapping's line. */
    void problem(String key, String message) {
        YamlNode node = mapping.entries().get(key);
        problems.add(childPath(key), node == null ? mapping.line() : node.line(), message);
    }

    /** The value of {@code key}, empty if absent or null. */
    Optional<YamlNode> node(String key) {
        known.add(key);
        YamlNode result = mapping.entries().get(key);
        if (result == null || result instanceof YamlNode.Scalar scalar && scalar.isNull()) {
            return Optional.empty();
        }
        return Optional.of(result);
    }

    boolean has(String key) {
        return node(key).isPresent();
    }

    /** Every entry of this mapping, for mappings whose keys are names chosen by the operator. */
    Map<String, YamlNode> entries() {
        known.addAll(mapping.entries().keySet());
        return mapping.entries();
    }

    Optional<MappingReader> mapping(String key) {
        return node(key).flatMap(each -> of(childPath(key), each, problems));
    }

    Optional<List<YamlNode>> list(String key) {
        Optional<YamlNode> node = node(key);
        if (node.isPresent() && node.get() instanceof YamlNode.Sequence sequence) {
            return Optional.of(sequence.items());
        }
        node.filter(each -> !(each instanceof YamlNode.Scalar scalar && !scalar.valid()))
                .ifPresent(each -> problem(key, "must be a list"));
        return Optional.empty();
    }

    /** The mappings of a list, each with its own reader; items that are not mappings are reported. */
    List<MappingReader> mappingList(String key) {
        List<MappingReader> result = new ArrayList<>();
        List<YamlNode> items = list(key).orElse(List.of());
        for (int i = 0; i < items.size(); i++) {
            ofRequired(childPath(key) + "[" + i + "]", items.get(i), problems).ifPresent(result::add);
        }
        return result;
    }

    Optional<String> string(String key) {
        return scalar(key, "must be a string", Optional::of);
    }

    String string(String key, String defaultValue) {
        return string(key).orElse(defaultValue);
    }

    /** A string that must be present and not blank. */
    Optional<String> requiredString(String key) {
        if (!has(key)) {
            problem(key, "is required");
            return Optional.empty();
        }
        Optional<String> result = string(key);
        if (result.isPresent() && result.get().isBlank()) {
            problem(key, "must not be empty");
            return Optional.empty();
        }
        return result;
    }

    long integer(String key, long defaultValue, long min, long max) {
        OptionalLong value = scalar(key, "must be an integer", MappingReader::parseLong)
                .map(OptionalLong::of).orElse(OptionalLong.empty());
        return checkRange(key, value, defaultValue, min, max, max == Long.MAX_VALUE || max == Integer.MAX_VALUE
                ? "must be at least " + min : "must be " + min + "-" + max);
    }

    int integer(String key, int defaultValue, int min, int max) {
        return (int) integer(key, (long) defaultValue, min, max);
    }

    long size(String key, long defaultValue, long min, long max) {
        Optional<Long> value = scalar(key, ByteSizeParser.EXPECTED, text -> boxed(ByteSizeParser.parse(text)));
        return checkRange(key, value.map(OptionalLong::of).orElse(OptionalLong.empty()), defaultValue, min, max,
                "must be between " + min + " and " + max + " bytes");
    }

    /** A duration; zero is refused when {@code positive}. */
    Duration duration(String key, Duration defaultValue, boolean positive) {
        Optional<Duration> value = scalar(key, DurationParser.EXPECTED, DurationParser::parse);
        if (value.isPresent() && positive && value.get().isZero()) {
            problem(key, "must be greater than zero");
            return defaultValue;
        }
        return value.orElse(defaultValue);
    }

    boolean bool(String key, boolean defaultValue) {
        return scalar(key, "must be true or false", text -> switch (text.toLowerCase(Locale.ROOT)) {
            case "true" -> Optional.of(Boolean.TRUE);
            case "false" -> Optional.of(Boolean.FALSE);
            default -> Optional.<Boolean>empty();
        }).orElse(defaultValue);
    }

    /** An enum constant written in lower case with dashes, such as {@code scram-sha-256} for SCRAM_SHA_256. */
    <E extends Enum<E>> E choice(String key, Class<E> type, E defaultValue) {
        E[] constants = type.getEnumConstants();
        String expected = "must be one of " + Arrays.stream(constants).map(MappingReader::yamlName)
                .collect(Collectors.joining(", "));
        return scalar(key, expected, text -> Arrays.stream(constants)
                .filter(each -> yamlName(each).equalsIgnoreCase(text.strip())).findFirst())
                .orElse(defaultValue);
    }

    /** Reports every key that no accessor asked for. */
    void finish() {
        for (String each : mapping.entries().keySet()) {
            if (!known.contains(each)) {
                problems.add(childPath(each), mapping.keyLine(each), unknownKeyMessage(each));
            }
        }
    }

    static String yamlName(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private <T> Optional<T> scalar(String key, String expected, Function<String, Optional<T>> convert) {
        Optional<YamlNode> node = node(key);
        if (node.isEmpty()) {
            return Optional.empty();
        }
        if (node.get() instanceof YamlNode.Scalar scalar) {
            if (!scalar.valid()) {
                return Optional.empty();
            }
            Optional<T> result = convert.apply(scalar.text());
            if (result.isEmpty()) {
                problem(key, expected);
            }
            return result;
        }
        problem(key, expected);
        return Optional.empty();
    }

    private long checkRange(String key, OptionalLong value, long defaultValue, long min, long max, String message) {
        if (value.isEmpty()) {
            return defaultValue;
        }
        if (value.getAsLong() < min || value.getAsLong() > max) {
            problem(key, message);
            return defaultValue;
        }
        return value.getAsLong();
    }

    private String unknownKeyMessage(String key) {
        return known.stream().filter(each -> EditDistance.between(each, key) <= 2).findFirst()
                .map(each -> "unknown key (did you mean " + each + "?)").orElse("unknown key");
    }

    private static Optional<Long> parseLong(String text) {
        try {
            return Optional.of(Long.parseLong(text.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Long> boxed(OptionalLong value) {
        return value.isPresent() ? Optional.of(value.getAsLong()) : Optional.empty();
    }
}
