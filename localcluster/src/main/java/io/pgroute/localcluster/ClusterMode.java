package io.pgroute.localcluster;

import java.util.Locale;

/**
 * How a {@link LocalCluster} runs its servers. {@link #EMBEDDED} (the default) starts PostgreSQL and Redis from
 * binaries shipped in Maven artifacts; {@link #DOCKER} starts the official {@code postgres:<version>} and
 * {@code redis:7} images through Testcontainers, so that a test suite can run against PostgreSQL 13–17 (18 untested: no Docker engine where it was built).
 * Chosen per JVM with {@code -Dpgroute.cluster=embedded|docker}, or per cluster with
 * {@link LocalCluster.Builder#mode(ClusterMode)}.
 */
public enum ClusterMode {

    EMBEDDED,
    DOCKER;

    /** System property choosing the mode of every {@link LocalCluster#builder()} that is not told otherwise. */
    public static final String PROPERTY = "pgroute.cluster";

    /** The mode {@link #PROPERTY} asks for; {@link #EMBEDDED} when it is unset. */
    public static ClusterMode requested() {
        return parse(System.getProperty(PROPERTY));
    }

    /**
     * {@code embedded} or {@code docker}, in any case; null or blank is {@link #EMBEDDED}.
     *
     * @throws IllegalArgumentException for any other value, so that a typo does not silently run the default
     */
    static ClusterMode parse(String value) {
        if (value == null || value.isBlank()) {
            return EMBEDDED;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "embedded" -> EMBEDDED;
            case "docker" -> DOCKER;
            default -> throw new IllegalArgumentException(
                    PROPERTY + " must be embedded or docker, not '" + value + "'");
        };
    }
}
