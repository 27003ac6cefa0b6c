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
        Files.writeString(baseDir.resolve(OWNER_FILE), self.pid() + " " + startMillis + "\n", StandardCharsets.UTF_8);
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
            if (fields.length != 2) {
                return false;
            }
            Optional<ProcessHandle> owner = ProcessHandle.of(Long.parseLong(fields[0]));
            if (owner.isEmpty()) {
                return true;
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
