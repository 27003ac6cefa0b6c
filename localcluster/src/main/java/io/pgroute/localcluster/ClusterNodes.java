package io.pgroute.localcluster;

import java.util.List;
import java.util.Optional;

/**
 * The servers of a {@link LocalCluster}, however they run: as local processes from bundled binaries
 * ({@link ProcessNodes}, the default) or as Docker containers ({@link DockerNodes}, {@code pgroute.cluster=docker}).
 * {@link LocalCluster} keeps what both share (superuser, SQL, base directory) and hands node control to this.
 */
interface ClusterNodes {

    /** The primary, then the replicas; empty until the primary has started. */
    List<PgNode> postgres();

    /** The replicas that are running now (not stopped by {@link #stop(PgNode)}). */
    List<PgNode> runningReplicas();

    Optional<RedisNode> redis();

    /** Processes of this JVM's making that belong to the cluster (none for containers). */
    List<ProcessHandle> processes();

    void stop(PgNode node);

    void start(PgNode node);

    /** Stops {@code node} and starts it again on the binaries of another jar ({@link LocalCluster#restartOn}). */
    void restartOn(PgNode node, java.nio.file.Path binariesJar);

    void killRedis();

    void startRedis();

    /** Stops replicas, primary and Redis, in that order. Idempotent. */
    void close();
}
