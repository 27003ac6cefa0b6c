package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DockerLauncherTest {

    @Test
    void postgresCommandPassesTheEmbeddedSettingsAsFlagsWithOverridesWinning() {
        List<String> result = DockerLauncher.postgresCommand(Map.of("max_connections", "300"));

        assertThat(result.get(0)).isEqualTo("postgres");
        assertThat(result).contains("wal_level=replica", "hot_standby=on", "max_connections=300")
                .doesNotContain("max_connections=200");
        assertThat(result.stream().filter("-c"::equals).count()).isEqualTo((result.size() - 1) / 2);
    }

    @Test
    void containersListenOnTheirNetworkAndKeepTheUnixSocketTheEntrypointNeeds() {
        List<String> result = DockerLauncher.postgresCommand(Map.of("listen_addresses", "10.0.0.1"));

        assertThat(result).contains("listen_addresses=*").doesNotContain("listen_addresses=127.0.0.1")
                .noneMatch(each -> each.startsWith("unix_socket_directories"));
    }

    @Test
    void theDataDirectoryIsWhereTheImageSaysNotWhereOlderImagesKeptIt() {
        assertThat(DockerLauncher.pgdata(List.of("PATH=/usr/bin", "PGDATA=/var/lib/postgresql/18/docker")))
                .isEqualTo("/var/lib/postgresql/18/docker");
        assertThat(DockerLauncher.pgdata(List.of("PATH=/usr/bin", "PGDATA="))).isEqualTo("/var/lib/postgresql/data");
        assertThat(DockerLauncher.pgdata(List.of())).isEqualTo("/var/lib/postgresql/data");
    }
}
