package io.pgroute.localcluster;

import org.testcontainers.DockerClientFactory;

/**
 * Whether docker mode can run here. Testcontainers is an optional dependency of this module, so this class (the only
 * one besides {@link DockerLauncher}, {@link DockerNodes} and {@link DockerModeCondition} that names its types) is
 * loaded only in docker mode, and first checks that Testcontainers is on the classpath at all.
 */
final class DockerEngine {

    private static final String FACTORY_CLASS = "org.testcontainers.DockerClientFactory";

    private DockerEngine() {
    }

    /**
     * True when Testcontainers reaches a Docker engine (it tries DOCKER_HOST, the local socket and its own
     * configuration; a failed search is remembered for the rest of the JVM, so asking again is cheap).
     *
     * @throws LocalClusterException when Testcontainers is not on the classpath: a build mistake, not a missing engine
     */
    static boolean reachable() {
        requireTestcontainers();
        return DockerClientFactory.instance().isDockerAvailable();
    }

    /** @throws DockerUnavailableException when no engine is reachable */
    static void require() {
        if (!reachable()) {
            throw new DockerUnavailableException();
        }
    }

    private static void requireTestcontainers() {
        try {
            Class.forName(FACTORY_CLASS, false, DockerEngine.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new LocalClusterException(ClusterMode.PROPERTY + "=docker needs org.testcontainers:testcontainers on "
                    + "the classpath; it is an optional dependency of pgroute-localcluster, so declare it (test scope) "
                    + "in the module whose tests use docker mode", e);
        }
    }
}
