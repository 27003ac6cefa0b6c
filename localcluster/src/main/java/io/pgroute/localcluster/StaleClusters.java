package io.pgroute.localcluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporary base directories of clusters whose JVM died without {@link LocalCluster#close()} (killed by a test
 * timeout or an IDE). Their servers stop by themselves (see {@link Lifeline}), but their data would stay in
 * {@code java.io.tmpdir}. Each temporary base directory holds an owner file naming its JVM (pid and start time);
 * a directory whose JVM no longer runs is deleted when the next cluster starts. Nothing else is touched.
 *
 * <p>The start time that tells a live owner from a later process with its pid is the kernel's, in clock ticks since
 * boot ({@code /proc/<pid>/stat}), compared exactly. The wall-clock start Java reports is boot time plus those
 * ticks, and boot time moves when the wall clock is stepped (a virtual machine resumed from a snapshot, NTP): a live
 * {@code pgroute demo}'s cluster was taken for an orphan and deleted under it (PostgreSQL then stops when it finds
 * its lock file gone). The wall-clock start is used only where {@code /proc} is not.
 */
final class StaleClusters {

    static final String PREFIX = "pgroute-cluster-";

    private static final Logger LOGGER = LoggerFactory.getLogger(StaleClusters.class);
    private static final String OWNER_FILE = ".pgroute-owner";
    /** Start instants come from clock ticks; a reused pid would also have to start within this of the owner. */
    private static final long START_TOLERANCE_MILLIS = 1000;

    private StaleClusters() {
    }

    /** Marks {@code baseDir} as owned by this JVM. */
    static void claim(Path baseDir) throws IOException {
        ProcessHandle self = ProcessHandle.current();
        String startMillis = self.info().startInstant().map(each -> Long.toString(each.toEpochMilli())).orElse("-");
        String startTicks = startTicks(self.pid()).orElse("-");
        Files.writeString(baseDir.resolve(OWNER_FILE), self.pid() + " " + startMillis + " " + startTicks + "\n",
                StandardCharsets.UTF_8);
    }

    /** When process {@code pid} started, in clock ticks since boot (field 22 of /proc/pid/stat); empty if unknown. */
    static Optional<String> startTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            // the command name (field 2) is in parentheses and may hold spaces: count fields after its ')'
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).strip().split(" ");
            return fields.length > 19 ? Optional.of(fields[19]) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Deletes temporary base directories of dead JVMs; failures are logged, never thrown. */
    static void deleteOrphans(Path tempRoot) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tempRoot, PREFIX + "*")) {
            for (Path each : dirs) {
                if (isOrphan(each)) {
                    LOGGER.info("deleting {}, left behind by a JVM that is gone", each);
                    DirectoryTree.deleteQuietly(each);
                }
            }
        } catch (IOException e) {
            LOGGER.warn("could not look for stale clusters in {}: {}", tempRoot, e.toString());
        }
    }

    private static boolean isOrphan(Path dir) {
        Path ownerFile = dir.resolve(OWNER_FILE);
        try {
            if (!Files.isDirectory(dir) || !Files.isRegularFile(ownerFile)) {
                return false;
            }
            String[] fields = Files.readString(ownerFile, StandardCharsets.UTF_8).strip().split(" ");
            if (fields.length != 2 && fields.length != 3) {
                return false;
            }
            long pid = Long.parseLong(fields[0]);
            Optional<ProcessHandle> owner = ProcessHandle.of(pid);
            if (owner.isEmpty()) {
                return true;
            }
            if (fields.length == 3 && !fields[2].equals("-")) {
                Optional<String> ticks = startTicks(pid);
                if (ticks.isPresent()) {
                    return !ticks.get().equals(fields[2]);  // another process that got the pid
                }
            }
            Optional<Instant> started = owner.get().info().startInstant();
            return !fields[1].equals("-") && started.isPresent()
                    && Math.abs(started.get().toEpochMilli() - Long.parseLong(fields[1])) > START_TOLERANCE_MILLIS;
        } catch (IOException | RuntimeException e) {
            LOGGER.debug("cannot tell whether {} is stale: {}", dir, e.toString());
            return false;
        }
    }
}
