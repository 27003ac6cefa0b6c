package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalRedisClusterIT {

    @Test
    void splitsAllSlotsOverThreeMastersThatKnowEachOther() throws IOException {
        List<ProcessHandle> processes;
        Path dir;
        try (LocalRedisCluster cluster = LocalRedisCluster.start(3)) {
            assertThat(cluster.masters()).hasSize(3);
            assertThat(cluster.uris()).allMatch(each -> each.startsWith("redis://127.0.0.1:"));
            for (RedisNode each : cluster.masters()) {
                String info = RedisWire.text(each.port(), "CLUSTER", "INFO");
                assertThat(RedisWire.infoField(info, "cluster_state")).isEqualTo("ok");
                assertThat(RedisWire.infoField(info, "cluster_size")).isEqualTo("3");
            }
            assertThat(slotRanges(cluster.masters().get(0))).containsExactlyInAnyOrder(
                    List.of(0L, 5460L), List.of(5461L, 10921L), List.of(10922L, 16383L));
            processes = cluster.processes();
            dir = directoryOf(cluster.masters().get(0));
            assertThat(processes).isNotEmpty();
        }
        assertThat(processes).noneMatch(ProcessHandle::isAlive);
        assertThat(dir).doesNotExist();
    }

    @Test
    void restartedMasterComesBackEmptyWithANewRunIdAndItsSlots() throws IOException {
        try (LocalRedisCluster cluster = LocalRedisCluster.start(3)) {
            RedisNode master = cluster.masters().get(1);
            String nodeId = RedisWire.text(master.port(), "CLUSTER", "MYID");
            String runId = RedisWire.infoField(RedisWire.text(master.port(), "INFO", "server"), "run_id");
            String key = null;
            for (int i = 0; key == null; i++) {
                long slot = (Long) RedisWire.command(master.port(), "CLUSTER", "KEYSLOT", "k" + i);
                key = slot >= 5461 && slot <= 10921 ? "k" + i : null;
            }
            RedisWire.command(master.port(), "SET", key, "v");
            assertThat(RedisWire.command(master.port(), "DBSIZE")).as("the key it holds").isEqualTo(1L);

            cluster.restart(master);

            assertThat(RedisWire.text(master.port(), "CLUSTER", "MYID")).isEqualTo(nodeId);
            assertThat(RedisWire.infoField(RedisWire.text(master.port(), "INFO", "server"), "run_id"))
                    .isNotEqualTo(runId);
            assertThat(RedisWire.command(master.port(), "DBSIZE")).as("keys after the restart").isEqualTo(0L);
            assertThat(RedisWire.infoField(RedisWire.text(cluster.masters().get(0).port(), "CLUSTER", "INFO"),
                    "cluster_state")).isEqualTo("ok");
        }
    }

    /** CLUSTER SLOTS: one entry per range, starting with its first and last slot. */
    private static List<List<Long>> slotRanges(RedisNode node) throws IOException {
        List<?> reply = (List<?>) RedisWire.command(node.port(), "CLUSTER", "SLOTS");
        return reply.stream().map(each -> (List<?>) each)
                .map(each -> List.of((Long) each.get(0), (Long) each.get(1))).toList();
    }

    /** The base directory: the parent of the node's own ({@code CONFIG GET dir}). */
    private static Path directoryOf(RedisNode node) throws IOException {
        Path result = Path.of((String) ((List<?>) RedisWire.command(node.port(), "CONFIG", "GET", "dir")).get(1));
        assertThat(Files.isDirectory(result)).isTrue();
        return result.getParent();
    }
}
