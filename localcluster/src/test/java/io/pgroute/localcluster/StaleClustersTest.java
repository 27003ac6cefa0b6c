package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which temporary cluster directories are left by dead JVMs, and only those. */
class StaleClustersTest {

    @Test
    void keepsALiveOwnersDirectoryWhateverItsWallClockStartSays(@TempDir Path root) throws Exception {
        Path live = Files.createDirectory(root.resolve(StaleClusters.PREFIX + "live"));
        StaleClusters.claim(live);
        String claimed = Files.readString(live.resolve(".pgroute-owner"), StandardCharsets.UTF_8).strip();
        String[] fields = claimed.split(" ");
        assertThat(fields).hasSize(3);
        // the wall clock was stepped by an hour since the owner wrote its start (a VM resumed from a snapshot)
        long shifted = Long.parseLong(fields[1]) - 3_600_000;
        Files.writeString(live.resolve(".pgroute-owner"), fields[0] + " " + shifted + " " + fields[2] + "\n");

        Path reused = Files.createDirectory(root.resolve(StaleClusters.PREFIX + "reused"));
        Files.writeString(reused.resolve(".pgroute-owner"), fields[0] + " " + fields[1] + " 1\n");
        Path dead = Files.createDirectory(root.resolve(StaleClusters.PREFIX + "dead"));
        Files.writeString(dead.resolve(".pgroute-owner"), Long.MAX_VALUE / 2 + " 0 1\n");
        Path unowned = Files.createDirectory(root.resolve(StaleClusters.PREFIX + "unowned"));

        StaleClusters.deleteOrphans(root);

        assertThat(live).as("its JVM runs").exists();
        assertThat(reused).as("another process has the pid now").doesNotExist();
        assertThat(dead).as("no such process").doesNotExist();
        assertThat(unowned).as("no owner file: not ours to judge").exists();
    }

    @Test
    void readsItsOwnStartInClockTicks() {
        assertThat(StaleClusters.startTicks(ProcessHandle.current().pid())).hasValueSatisfying(
                ticks -> assertThat(Long.parseLong(ticks)).isPositive());
    }
}
