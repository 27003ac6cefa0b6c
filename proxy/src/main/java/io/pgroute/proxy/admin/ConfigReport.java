package io.pgroute.proxy.admin;

import io.pgroute.config.ProxyConfig;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code SHOW CONFIG}: the effective configuration flattened to (section, key, value) rows, walking the config
 * records' components so that a new setting shows up without a change here. Passwords, SCRAM verifiers and the
 * user information of URIs are shown as {@code ***}.
 */
final class ConfigReport {

    static final String MASK = "***";
    private static final Set<String> SECRET_COMPONENTS = Set.of("password", "scramVerifier");

    private final ProxyConfig config;

    ConfigReport(ProxyConfig config) {
        this.config = config;
    }

    static AdminResult.Builder columns() {
        return new AdminResult.Builder().column("section", ColumnType.TEXT).column("key", ColumnType.TEXT)
                .column("value", ColumnType.TEXT);
    }

    AdminResult show() {
        AdminResult.Builder result = columns();
        for (RecordComponent each : ProxyConfig.class.getRecordComponents()) {
            String section = snake(each.getName());
            walk(result, section, "", value(each, config), false);
        }
        return result.build();
    }

    private void walk(AdminResult.Builder result, String section, String key, Object value, boolean secret) {
        if (value != null && value.getClass().isRecord()) {
            for (RecordComponent each : value.getClass().getRecordComponents()) {
                Object child = value(each, value);
                String last = key.substring(key.lastIndexOf('.') + 1);
                if (each.getName().equals("name") && last.equals(String.valueOf(child))) {
                    continue;  // the name of an entry of users: or databases:, already its key
                }
                walk(result, section, join(key, snake(each.getName())), child, isSecret(each.getName()));
            }
        } else if (value instanceof Map<?, ?> map && !map.isEmpty() && isComposite(map.values())) {
            map.forEach((name, child) -> walk(result, section, join(key, String.valueOf(name)), child, false));
        } else if (value instanceof List<?> list && isComposite(list)) {
            for (int i = 0; i < list.size(); i++) {
                walk(result, section, key + "[" + i + "]", list.get(i), false);
            }
        } else {
            String shown = key.endsWith("_mode") && value instanceof Integer mode
                    ? String.format("%04o", mode)  // a file mode, in octal as proxy.yaml writes it
                    : text(value);
            result.row(section, key, secret && value != null ? MASK : shown);
        }
    }

    /** A password of any kind (monitorPassword too) or a verifier: never shown. */
    private static boolean isSecret(String component) {
        return SECRET_COMPONENTS.contains(component) || component.endsWith("Password");
    }

    private static boolean isComposite(Collection<?> values) {
        return values.stream().anyMatch(each -> each != null && each.getClass().isRecord());
    }

    private static String join(String key, String part) {
        return key.isEmpty() ? part : key + "." + part;
    }

    private static Object value(RecordComponent component, Object owner) {
        try {
            return component.getAccessor().invoke(owner);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + component.getName(), e);
        }
    }

    /** A leaf as text: durations like proxy.yaml writes them, enums in their YAML spelling, URIs masked. */
    static String text(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Duration duration) {
            return duration(duration);
        }
        if (value instanceof Enum<?> constant) {
            return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
        if (value instanceof Collection<?> values) {
            return values.stream().map(ConfigReport::text).collect(Collectors.joining(", ", "[", "]"));
        }
        if (value instanceof Map<?, ?> map) {
            return map.entrySet().stream().map(each -> each.getKey() + ": " + text(each.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
        }
        return maskUri(value.toString());
    }

    static String duration(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 1000 != 0 || millis == 0) {
            return millis + "ms";
        }
        long seconds = millis / 1000;
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
    }

    /** {@code scheme://user:pass@host} → {@code scheme://***@host}; anything else unchanged. */
    static String maskUri(String text) {
        int scheme = text.indexOf("://");
        if (scheme < 0) {
            return text;
        }
        int at = text.lastIndexOf('@');
        return at < scheme + 3 ? text : text.substring(0, scheme + 3) + MASK + text.substring(at);
    }

    /** {@code maxLagBytes} → {@code max_lag_bytes}. */
    static String snake(String name) {
        StringBuilder result = new StringBuilder();
        for (char c : name.toCharArray()) {
            if (Character.isUpperCase(c)) {
                result.append('_').append(Character.toLowerCase(c));
            } else {
                result.append(c);
            }
        }
        return result.toString();
    }
}
