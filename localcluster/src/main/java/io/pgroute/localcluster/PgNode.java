package io.pgroute.localcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One PostgreSQL server of a {@link LocalCluster}: the primary or a streaming replica, listening on
 * {@code host:port} (always 127.0.0.1).
 *
 * @param name     node name, {@code primary} or {@code replica1}, {@code replica2}, …; also its
 *                 {@code application_name} in {@code pg_stat_replication}
 * @param host     always {@code 127.0.0.1}
 * @param port     TCP port (in docker mode, the host port Docker publishes the container's 5432 on)
 * @param dataDir  the data directory (in docker mode, its path inside the container)
 * @param primary  true for the primary
 */
public record PgNode(String name, String host, int port, Path dataDir, boolean primary) {

    /** {@code jdbc:postgresql://127.0.0.1:port/database}; credentials are {@link LocalCluster#superuser()} etc. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /**
     * The running postmaster's process id, the first line of {@code postmaster.pid} in the data directory (a
     * server on this machine: not in docker mode, where the data directory is inside the container).
     */
    public long postmasterPid() throws IOException {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).strip());
    }

    @Override
    public String toString() {
        return name + "@" + host + ":" + port;
    }
}
