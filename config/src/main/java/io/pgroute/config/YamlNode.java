package io.pgroute.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal YAML tree that, unlike Jackson's {@code JsonNode}, remembers the line every node came from, so that
 * problems can be reported where the operator has to look. Built by {@link YamlTreeReader}.
 */
sealed interface YamlNode {

    /** The 1-based line of the node (of its key when it is a mapping or list inside a mapping), 0 if unknown. */
    int line();

    /** A short noun for messages, such as {@code "a mapping"}. */
    String kind();

    /**
     * A scalar after {@code ${VAR}} substitution. {@code text} is null for a YAML null ({@code ~}, {@code null} or
     * nothing); {@code valid} is false when substitution failed (already reported), so readers skip it silently.
     */
    record Scalar(String text, int line, boolean valid) implements YamlNode {

        boolean isNull() {
            return valid && text == null;
        }

        @Override
        public String kind() {
            return "a scalar";
        }
    }

    /** A mapping with its entries in file order; {@code keyLines} holds the line of each key. */
    record Mapping(Map<String, YamlNode> entries, Map<String, Integer> keyLines, int line) implements YamlNode {

        public Mapping {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
            keyLines = Collections.unmodifiableMap(new LinkedHashMap<>(keyLines));
        }

        int keyLine(String key) {
            return keyLines.getOrDefault(key, line);
        }

        @Override
        public String kind() {
            return "a mapping";
        }
    }

    /** A list, in file order. */
    record Sequence(List<YamlNode> items, int line) implements YamlNode {

        public Sequence {
            items = List.copyOf(items);
        }

        @Override
        public String kind() {
            return "a list";
        }
    }
}
