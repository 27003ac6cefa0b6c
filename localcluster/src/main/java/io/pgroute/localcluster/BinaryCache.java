package io.pgroute.localcluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory under {@code java.io.tmpdir} holding binaries unpacked from the classpath, shared by every JVM on the
 * machine. An entry is filled in a private temporary directory and then renamed into place, and it carries a
 * completion marker, so a concurrent JVM sees either nothing or a complete entry.
 */
final class BinaryCache {

    private static final Logger LOGGER = LoggerFactory.getLogger(BinaryCache.class);
    private static final String MARKER = ".pgroute-complete";
    private static final Object LOCK = new Object();

    private BinaryCache() {
    }

    /** How to fill a fresh, empty directory. */
    @FunctionalInterface
    interface Filler {
        void fill(Path emptyDir) throws IOException;
    }

    /** The complete cache entry {@code name}, filled by {@code filler} if no JVM has done so yet. */
    static Path entry(String name, Filler filler) throws IOException {
        Path root = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        Path result = root.resolve(name);
        synchronized (LOCK) {
            if (Files.isRegularFile(result.resolve(MARKER))) {
                return result;
            }
            Path staging = Files.createTempDirectory(root, name + ".tmp-");
            try {
                long started = System.nanoTime();
                filler.fill(staging);
                ServerUser.makeReadableByAll(staging);
                Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.createFile(staging.resolve(MARKER));
                if (publish(staging, result)) {
                    LOGGER.info("unpacked {} in {} ms", result, (System.nanoTime() - started) / 1_000_000);
                    return result;
                }
                if (Files.isRegularFile(result.resolve(MARKER))) {
                    return result;
                }
                LOGGER.warn("{} exists but is incomplete and not ours to replace; using {}", result, staging);
                Path kept = staging;
                staging = null;
                return kept;
            } finally {
                if (staging != null) {
                    DirectoryTree.deleteQuietly(staging);
                }
            }
        }
    }

    /** Copies a classpath resource to {@code target}. */
    static void copyResource(String resource, Path target) throws IOException {
        try (InputStream in = BinaryCache.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("classpath resource " + resource + " not found");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static boolean publish(Path staging, Path target) throws IOException {
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot atomically rename " + staging + " to " + target, e);
        } catch (IOException e) {
            if (Files.exists(target)) {
                return false;
            }
            throw e;
        }
    }
}
