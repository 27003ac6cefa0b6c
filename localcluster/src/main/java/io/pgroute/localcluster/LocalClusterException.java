package io.pgroute.localcluster;

/**
 * Failure of a {@link LocalCluster} operation after start: SQL that failed on a node, a node that did not stop or
 * start, a wait that ran out of time. The message names the node and, where there is one, ends with the tail of the
 * server log.
 */
public class LocalClusterException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public LocalClusterException(String message) {
        super(message);
    }

    public LocalClusterException(String message, Throwable cause) {
        super(message, cause);
    }
}
