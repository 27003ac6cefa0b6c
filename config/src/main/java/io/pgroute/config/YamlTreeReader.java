package io.pgroute.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Walks a YAML document with Jackson's streaming {@link YAMLParser} into a {@link YamlNode} tree that keeps line
 * numbers, substituting environment variables in scalars on the way. The only class of this module that sees
 * Jackson. Duplicate keys, aliases and substitution failures are reported to {@link Problems}; a syntax error
 * ends the walk with one problem at the line it was found on.
 */
final class YamlTreeReader {

    /** An empty plain value ({@code key:}) is a null; the builder, unlike the constructor, needs telling. */
    private static final YAMLFactory FACTORY =
            YAMLFactory.builder().enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build();

    private final EnvInterpolator interpolator;
    private final Problems problems;

    YamlTreeReader(EnvInterpolator interpolator, Problems problems) {
        this.interpolator = interpolator;
        this.problems = problems;
    }

    /** Reads the first document of {@code yaml}; empty when the text is not valid YAML (problem reported). */
    Optional<YamlNode> read(String yaml) {
        try (YAMLParser parser = FACTORY.createParser(yaml)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return Optional.of(new YamlNode.Scalar(null, 0, true));
            }
            YamlNode result = readValue(parser, first, "", 0);
            if (result instanceof YamlNode.Mapping root) {
                result = new YamlNode.Mapping(root.entries(), root.keyLines(), 0);
            }
            if (parser.nextToken() != null) {
                problems.add("", parser.currentTokenLocation().getLineNr(), "only one YAML document is allowed");
            }
            return Optional.of(result);
        } catch (JsonProcessingException e) {
            JsonLocation location = e.getLocation();
            problems.add("", location == null ? 0 : location.getLineNr(), "invalid YAML: " + describe(e));
            return Optional.empty();
        } catch (IOException e) {
            problems.add("", 0, "cannot read YAML: " + e.getMessage());
            return Optional.empty();
        }
    }

    private YamlNode readValue(YAMLParser parser, JsonToken token, String path, int keyLine) throws IOException {
        int line = parser.currentTokenLocation().getLineNr();
        if (token == JsonToken.START_OBJECT) {
            return readMapping(parser, path, keyLine > 0 ? keyLine : line);
        }
        if (token == JsonToken.START_ARRAY) {
            return readSequence(parser, path, keyLine > 0 ? keyLine : line);
        }
        if (parser.isCurrentAlias()) {
            problems.add(path, line, "YAML aliases are not supported");
            return new YamlNode.Scalar(null, line, false);
        }
        if (token == JsonToken.VALUE_NULL) {
            return new YamlNode.Scalar(null, line, true);
        }
        try {
            return new YamlNode.Scalar(interpolator.interpolate(parser.getText()), line, true);
        } catch (EnvInterpolator.SubstitutionException e) {
            problems.add(path, line, e.getMessage());
            return new YamlNode.Scalar(null, line, false);
        }
    }

    private YamlNode readMapping(YAMLParser parser, String path, int line) throws IOException {
        Map<String, YamlNode> entries = new LinkedHashMap<>();
        Map<String, Integer> keyLines = new LinkedHashMap<>();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
            String key = parser.currentName();
            int keyLine = parser.currentTokenLocation().getLineNr();
            String childPath = path.isEmpty() ? key : path + "." + key;
            YamlNode value = readValue(parser, parser.nextToken(), childPath, keyLine);
            if (entries.containsKey(key)) {
                problems.add(childPath, keyLine, "duplicate key (first defined on line " + keyLines.get(key) + ")");
                continue;
            }
            entries.put(key, value);
            keyLines.put(key, keyLine);
        }
        return new YamlNode.Mapping(entries, keyLines, line);
    }

    private YamlNode readSequence(YAMLParser parser, String path, int line) throws IOException {
        List<YamlNode> items = new ArrayList<>();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
            items.add(readValue(parser, token, path + "[" + items.size() + "]", 0));
        }
        return new YamlNode.Sequence(items, line);
    }

    /**
     * SnakeYAML messages interleave what went wrong with indented source excerpts and {@code in 'reader'} marks;
     * keep the unindented lines, such as "while parsing a flow mapping" and "expected ',' or '}', but got :".
     */
    private static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        if (message == null) {
            return e.getClass().getSimpleName();
        }
        return message.lines().filter(each -> !each.isBlank() && !Character.isWhitespace(each.charAt(0)))
                .map(String::strip).collect(Collectors.joining(": "));
    }
}
