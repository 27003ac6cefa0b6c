package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.opentest4j.TestAbortedException;

/** Docker mode on a machine without a Docker engine (these tests skip themselves where one is reachable). */
class DockerModeConditionTest {

    @Test
    void embeddedModeNeverSkips() {
        ConditionEvaluationResult result = DockerModeCondition.evaluate(ClusterMode.EMBEDDED);

        assertThat(result.isDisabled()).isFalse();
    }

    @Test
    void dockerModeWithoutAnEngineFailsToStartWithDockerUnavailableException() {
        assumeFalse(DockerEngine.reachable(), "a Docker engine is reachable here; this test is about its absence");

        assertThatThrownBy(() -> LocalCluster.builder().mode(ClusterMode.DOCKER).replicas(1).start())
                .isExactlyInstanceOf(DockerUnavailableException.class)
                .isInstanceOf(LocalClusterException.class)
                .hasMessage("pgroute.cluster=docker but no Docker engine is reachable");
    }

    @Test
    void dockerModeWithoutAnEngineSkipsWithTheReason() {
        assumeFalse(DockerEngine.reachable(), "a Docker engine is reachable here; this test is about its absence");

        ConditionEvaluationResult result = DockerModeCondition.evaluate(ClusterMode.DOCKER);

        assertThat(result.isDisabled()).isTrue();
        assertThat(result.getReason()).hasValue("pgroute.cluster=docker but no Docker engine is reachable: skipping");
        assertThatThrownBy(() -> DockerModeCondition.assumeUsable(ClusterMode.DOCKER))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("pgroute.cluster=docker but no Docker engine is reachable: skipping");
    }

    @Test
    void aCaughtDockerUnavailableExceptionBecomesASkipWithTheReason() {
        TestAbortedException result = DockerModeCondition.skip(new DockerUnavailableException());

        assertThat(result).hasMessage(DockerModeCondition.SKIP_MESSAGE).hasCauseInstanceOf(
                DockerUnavailableException.class);
    }
}
