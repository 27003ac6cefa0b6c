package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ClusterModeTest {

    @Test
    void unsetOrBlankMeansEmbedded() {
        assertThat(ClusterMode.parse(null)).isEqualTo(ClusterMode.EMBEDDED);
        assertThat(ClusterMode.parse(" ")).isEqualTo(ClusterMode.EMBEDDED);
    }

    @Test
    void readsEitherModeInAnyCase() {
        assertThat(ClusterMode.parse("embedded")).isEqualTo(ClusterMode.EMBEDDED);
        assertThat(ClusterMode.parse(" Docker ")).isEqualTo(ClusterMode.DOCKER);
    }

    @Test
    void refusesATypoRatherThanRunningTheDefault() {
        assertThatThrownBy(() -> ClusterMode.parse("dokcer"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pgroute.cluster must be embedded or docker");
    }

    @Test
    void builderRefusesAVersionThatIsNotAnImageTag() {
        assertThatThrownBy(() -> LocalCluster.builder().postgresVersion("15; rm -rf /"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a postgres image tag");
        for (String tag : new String[] {"16.4", "17", "18-alpine"}) {
            assertThatCode(() -> LocalCluster.builder().postgresVersion(tag)).as(tag).doesNotThrowAnyException();
        }
    }
}
