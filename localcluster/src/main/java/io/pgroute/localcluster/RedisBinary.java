package io.pgroute.localcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where {@code redis-server} lives: the file named by the environment variable {@value #ENV_SERVER} if set, else the
 * linux-amd64 Redis 6.2 carried by the {@code embedded-redis} jar, unpacked once per machine into the
 * {@link BinaryCache}.
 */
final class RedisBinary {

    static final String ENV_SERVER = "PGROUTE_REDIS_SERVER";

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisBinary.class);
    private static final String RESOURCE = "redis-server-6.2.6-v5-linux-amd64";
    private static final String FILE_NAME = "redis-server";

    private RedisBinary() {
    }

    static Path locate() throws IOException {
        String configured = System.getenv(ENV_SERVER);
        Path result;
        if (configured != null && !configured.isBlank()) {
            result = Path.of(configured).toAbsolutePath();
            LOGGER.info("using Redis from {}={}", ENV_SERVER, result);
        } else {
            result = BinaryCache.entry("pgroute-" + RESOURCE, RedisBinary::unpack).resolve(FILE_NAME);
        }
        if (!Files.isExecutable(result)) {
            throw new IOException("redis-server " + result + " is not executable");
        }
        return result;
    }

    private static void unpack(Path dir) throws IOException {
        Path target = dir.resolve(FILE_NAME);
        BinaryCache.copyResource(RESOURCE, target);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
