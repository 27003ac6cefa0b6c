package io.pgroute.localcluster;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/**
 * Skips tests that need a {@link LocalCluster} when {@code pgroute.cluster=docker} is set but no Docker engine is
 * reachable, with the reason in the report; in embedded mode, or with an engine, tests run. Use it as
 * {@code @ExtendWith(DockerModeCondition.class)} on a test class, call {@link #assumeUsable()} first thing in a
 * fixture, or turn a caught {@link DockerUnavailableException} into a skip with {@link #skip}.
 *
 * <p>JUnit Jupiter's API is an optional dependency of this module: this class is only for test classpaths.
 */
public final class DockerModeCondition implements ExecutionCondition {

    /** The reason a skipped test reports. */
    public static final String SKIP_MESSAGE = DockerUnavailableException.MESSAGE + ": skipping";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return evaluate(ClusterMode.requested());
    }

    /** Aborts the calling test (reported as skipped, with {@link #SKIP_MESSAGE}) when docker mode cannot run here. */
    public static void assumeUsable() {
        assumeUsable(ClusterMode.requested());
    }

    /**
     * The skip for a start that failed for want of Docker: {@code throw DockerModeCondition.skip(e);} in a fixture
     * ends the calling test as skipped, with {@link #SKIP_MESSAGE} as the reason.
     */
    public static TestAbortedException skip(DockerUnavailableException cause) {
        return new TestAbortedException(SKIP_MESSAGE, cause);
    }

    static void assumeUsable(ClusterMode mode) {
        ConditionEvaluationResult result = evaluate(mode);
        if (result.isDisabled()) {
            Assumptions.abort(result.getReason().orElse(SKIP_MESSAGE));
        }
    }

    static ConditionEvaluationResult evaluate(ClusterMode mode) {
        if (mode != ClusterMode.DOCKER) {
            return ConditionEvaluationResult.enabled(ClusterMode.PROPERTY + " is embedded: no Docker needed");
        }
        if (DockerEngine.reachable()) {
            return ConditionEvaluationResult.enabled(ClusterMode.PROPERTY + "=docker and a Docker engine is reachable");
        }
        return ConditionEvaluationResult.disabled(SKIP_MESSAGE);
    }
}
