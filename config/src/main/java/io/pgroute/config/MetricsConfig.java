package io.pgroute.config;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Prometheus endpoint ({@code metrics:}), served at {@code http://host:port/metrics}. Enabled as soon as the
 * section is present; absent means disabled.
 *
 * @param host address to bind, default {@code 127.0.0.1}
 * @param port TCP port, 0-65535 (0 = any free port), default 9930
 * @param enabled whether the endpoint is served
 */
public record MetricsConfig(String host, int port, boolean enabled) {

    /** The default port. */
    public static final int DEFAULT_PORT = 9930;

    private static final Pattern ADDRESS = Pattern.compile("(?:\\[([^\\]]+)]|([^:\\[\\]]+)):(\\d{1,5})");

    /** Checks that the host is present. */
    public MetricsConfig {
        Objects.requireNonNull(host, "host");
    }

    /** No metrics endpoint. */
    public static MetricsConfig disabled() {
        return new MetricsConfig(ListenConfig.DEFAULT_HOST, DEFAULT_PORT, false);
    }

    static MetricsConfig read(MappingReader reader) {
        MetricsConfig result = reader.string("listen").map(each -> address(reader, each))
                .orElse(new MetricsConfig(ListenConfig.DEFAULT_HOST, DEFAULT_PORT, true));
        boolean enabled = reader.bool("enabled", true);
        reader.finish();
        return new MetricsConfig(result.host(), result.port(), enabled);
    }

    private static MetricsConfig address(MappingReader reader, String text) {
        Matcher matcher = ADDRESS.matcher(text.strip());
        if (!matcher.matches()) {
            reader.problem("listen", "must be host:port, such as 127.0.0.1:9930 or [::1]:9930");
            return disabled();
        }
        int port = Integer.parseInt(matcher.group(3));
        if (port > 65535) {
            reader.problem("listen", "port must be 0-65535");
            return disabled();
        }
        return new MetricsConfig(matcher.group(1) != null ? matcher.group(1) : matcher.group(2), port, true);
    }
}
