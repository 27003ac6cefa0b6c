package io.pgroute.localcluster;

/**
 * Thrown by {@link LocalCluster.Builder#start()} in {@link ClusterMode#DOCKER docker mode} when Testcontainers finds
 * no Docker engine. Nothing was started. Test fixtures turn it into a skipped test (see {@link DockerModeCondition}),
 * since the machine, not the code under test, is missing something.
 */
public final class DockerUnavailableException extends LocalClusterException {

    private static final long serialVersionUID = 1L;

    /** The message every docker-mode skip starts with. */
    public static final String MESSAGE = ClusterMode.PROPERTY + "=docker but no Docker engine is reachable";

    DockerUnavailableException() {
        super(MESSAGE);
    }
}
