package io.pgroute.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code cache:} into a {@link CacheConfig}. Apart from {@link CacheConfig} itself because the section has
 * more shapes than the others: a URI or a list of URIs, lists of names, per-table TTLs and switches per database,
 * which must name databases configured under {@code databases:}.
 */
final class CacheConfigReader {

    static final String SENTINEL = "redis-sentinel://";
    static final List<String> SCHEMES = List.of("redis://", "rediss://", SENTINEL);
    static final String SENTINEL_EXAMPLE = "redis-sentinel://s1:26379,s2:26379/0#mymaster";
    static final String SCHEMA_GIVEN = "give the table name without its schema: tables are matched by name in every"
            + " schema";

    /** One string of a list (or a lone string), with where it was written. */
    private record Item(String text, String path, int line) {
    }

    private record Tables(Set<String> include, Set<String> exclude, Map<String, Duration> ttls) {
    }

    private record Breaker(int failures, Duration coolDown) {
    }

    private CacheConfigReader() {
    }

    static CacheConfig read(MappingReader reader, Set<String> databaseNames) {
        CacheConfig defaults = CacheConfig.disabled();
        boolean enabled = reader.bool("enabled", defaults.enabled());
        List<String> redis = redis(reader, enabled);
        boolean cluster = reader.bool("cluster", defaults.cluster());
        checkTopology(reader, redis, cluster);
        Duration timeout = reader.duration("timeout", defaults.timeout(), true);
        Duration defaultTtl = reader.duration("default_ttl", defaults.defaultTtl(), true);
        long maxResultBytes = reader.size("max_result_bytes", defaults.maxResultBytes(), 1, Long.MAX_VALUE);
        long localMaxBytes = reader.size("local_max_bytes", defaults.localMaxBytes(), 0, Long.MAX_VALUE);
        Tables tables = reader.mapping("tables").map(CacheConfigReader::tables)
                .orElseGet(() -> new Tables(Set.of(), Set.of(), Map.of()));
        Set<String> functions = names(reader, "functions", false).keySet();
        Map<String, Boolean> databases = reader.mapping("databases")
                .map(each -> databases(each, databaseNames)).orElseGet(Map::of);
        Breaker breaker = reader.mapping("breaker").map(each -> breaker(each, defaults))
                .orElseGet(() -> new Breaker(defaults.breakerFailures(), defaults.breakerCoolDown()));
        reader.finish();
        // Enabled without a usable URI has been reported; the disabled stand-in never leaves ConfigLoader.
        return new CacheConfig(enabled && !redis.isEmpty(), redis, cluster, timeout, defaultTtl, maxResultBytes,
                tables.include(), tables.exclude(), tables.ttls(), functions, databases, breaker.failures(),
                breaker.coolDown(), localMaxBytes);
    }

    /** {@code redis}: one URI or a list of them; the valid ones, in file order. */
    private static List<String> redis(MappingReader reader, boolean enabled) {
        Optional<YamlNode> node = reader.node("redis");
        List<Item> items = new ArrayList<>();
        if (node.isPresent() && node.get() instanceof YamlNode.Sequence sequence) {
            for (int i = 0; i < sequence.items().size(); i++) {
                item(reader.childPath("redis") + "[" + i + "]", sequence.items().get(i), reader.problems())
                        .ifPresent(items::add);
            }
        } else if (node.isPresent() && node.get() instanceof YamlNode.Mapping) {
            reader.problem("redis", "must be a URI or a list of URIs");
        } else {
            node.flatMap(each -> item(reader.childPath("redis"), each, reader.problems())).ifPresent(items::add);
        }
        boolean given = node.isPresent() && !(node.get() instanceof YamlNode.Sequence sequence
                && sequence.items().isEmpty());
        if (enabled && !given) {
            reader.problem("redis", "is required when cache.enabled is true");
        }
        List<String> result = new ArrayList<>();
        for (Item each : items) {
            uri(each, reader.problems()).ifPresent(result::add);
        }
        return result;
    }

    private static Optional<String> uri(Item item, Problems problems) {
        String text = item.text().strip();
        Optional<String> scheme = SCHEMES.stream().filter(text::startsWith).findFirst();
        String problem = null;
        if (text.isEmpty()) {
            problem = "must not be empty";
        } else if (scheme.isEmpty()) {
            problem = "must start with redis://, rediss:// or redis-sentinel://";
        } else if (authority(text.substring(scheme.get().length())).isEmpty()) {
            problem = "must name a host, as in redis://cache.internal:6379";
        } else if (scheme.get().equals(SENTINEL) && !namesMaster(text)) {
            problem = "must name the master after #, as in " + SENTINEL_EXAMPLE;
        }
        if (problem != null) {
            problems.add(item.path(), item.line(), problem);
            return Optional.empty();
        }
        return Optional.of(text);
    }

    /** The host(s) and ports of a URI without its scheme: after any user information, up to the path. */
    private static String authority(String rest) {
        String result = rest.substring(rest.lastIndexOf('@') + 1);
        for (char each : new char[] {'/', '?', '#'}) {
            int end = result.indexOf(each);
            if (end >= 0) {
                result = result.substring(0, end);
            }
        }
        return result;
    }

    /** Lettuce takes the Sentinel master name from the fragment or from {@code sentinelMasterId=}. */
    private static boolean namesMaster(String uri) {
        int hash = uri.lastIndexOf('#');
        return hash >= 0 && hash < uri.length() - 1 || uri.contains("sentinelMasterId=");
    }

    private static void checkTopology(MappingReader reader, List<String> redis, boolean cluster) {
        long sentinels = redis.stream().filter(each -> each.startsWith(SENTINEL)).count();
        if (sentinels > 0 && redis.size() > 1) {
            reader.problem("redis", "a redis-sentinel:// URI must be the only one: list every sentinel in it, as in "
                    + SENTINEL_EXAMPLE);
        }
        if (sentinels > 0 && cluster) {
            reader.problem("cluster", "cannot be combined with a redis-sentinel:// URI: a Redis Cluster has no"
                    + " Sentinel");
        }
        if (sentinels == 0 && redis.size() > 1 && !cluster) {
            reader.problem("redis", "several URIs need cluster: true (they are the seed nodes of a Redis Cluster)");
        }
    }

    private static Tables tables(MappingReader reader) {
        Map<String, Item> include = names(reader, "include", true);
        Map<String, Item> exclude = names(reader, "exclude", true);
        exclude.forEach((name, item) -> {
            if (include.containsKey(name)) {
                reader.problems().add(item.path(), item.line(), name + " is in both include and exclude");
            }
        });
        Map<String, Duration> ttls = reader.mapping("ttl").map(CacheConfigReader::ttls).orElseGet(Map::of);
        reader.finish();
        return new Tables(include.keySet(), exclude.keySet(), ttls);
    }

    private static Map<String, Duration> ttls(MappingReader reader) {
        Map<String, Duration> result = new LinkedHashMap<>();
        Map<String, String> written = new LinkedHashMap<>();
        reader.entries().keySet().forEach(key -> {
            Duration ttl = reader.duration(key, null, true);
            if (ttl == null && !reader.has(key)) {
                reader.problem(key, DurationParser.EXPECTED);
            }
            String name = folded(key);
            if (name.isEmpty()) {
                reader.problem(key, "table name must not be empty");
            } else if (name.indexOf('.') >= 0) {
                reader.problem(key, SCHEMA_GIVEN);
            } else if (written.containsKey(name)) {
                reader.problem(key, "the same table as " + written.get(name) + ": unquoted names are folded to"
                        + " lower case");
            } else {
                written.put(name, key);
                if (ttl != null) {
                    result.put(name, ttl);
                }
            }
        });
        return result;
    }

    /** A list of table or function names, folded, each with where it was first written. */
    private static Map<String, Item> names(MappingReader reader, String key, boolean tables) {
        Map<String, Item> result = new LinkedHashMap<>();
        List<YamlNode> nodes = reader.list(key).orElse(List.of());
        for (int i = 0; i < nodes.size(); i++) {
            Optional<Item> item = item(reader.childPath(key) + "[" + i + "]", nodes.get(i), reader.problems());
            if (item.isEmpty()) {
                continue;
            }
            String name = folded(item.get().text());
            if (name.isEmpty()) {
                reader.problems().add(item.get().path(), item.get().line(), "must not be empty");
            } else if (tables && name.indexOf('.') >= 0) {
                reader.problems().add(item.get().path(), item.get().line(), SCHEMA_GIVEN);
            } else {
                result.putIfAbsent(name, item.get());
            }
        }
        return result;
    }

    private static Map<String, Boolean> databases(MappingReader reader, Set<String> databaseNames) {
        Map<String, Boolean> result = new LinkedHashMap<>();
        reader.entries().keySet().forEach(name -> {
            boolean on = reader.bool(name, true);
            if (databaseNames.contains(name)) {
                result.put(name, on);
            } else {
                reader.problem(name, databaseNames.stream().filter(each -> EditDistance.between(each, name) <= 2)
                        .findFirst().map(each -> "not configured under databases (did you mean " + each + "?)")
                        .orElse("not configured under databases"));
            }
        });
        return result;
    }

    private static Breaker breaker(MappingReader reader, CacheConfig defaults) {
        Breaker result = new Breaker(reader.integer("failures", defaults.breakerFailures(), 1, Integer.MAX_VALUE),
                reader.duration("cool_down", defaults.breakerCoolDown(), true));
        reader.finish();
        return result;
    }

    /** A string item; a null or a list or mapping in its place is reported, a failed substitution skipped. */
    private static Optional<Item> item(String path, YamlNode node, Problems problems) {
        if (node instanceof YamlNode.Scalar scalar && scalar.valid() && !scalar.isNull()) {
            return Optional.of(new Item(scalar.text(), path, scalar.line()));
        }
        if (!(node instanceof YamlNode.Scalar scalar && !scalar.valid())) {
            problems.add(path, node.line(), "must be a string");
        }
        return Optional.empty();
    }

    /** As PostgreSQL folds an unquoted identifier. */
    private static String folded(String name) {
        return name.strip().toLowerCase(Locale.ROOT);
    }
}
