package io.pgroute.config;

/** How reads are spread over the eligible replicas ({@code routing.balance}); every policy honours weights. */
public enum Balance {
    /** Smooth weighted round-robin; the default. */
    ROUND_ROBIN,
    /** The replica with the fewest active connections relative to its weight. */
    LEAST_CONNECTIONS,
    /** A random replica, with probability proportional to its weight. */
    RANDOM
}
