package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalRedisSentinelIT {

    private static final Duration FAILOVER_TIMEOUT = Duration.ofSeconds(20);

    @Test
    void sentinelPromotesTheReplicaWhenThePrimaryIsKilled() throws IOException {
        List<ProcessHandle> processes;
        try (LocalRedisSentinel redis = LocalRedisSentinel.start()) {
            assertThat(redis.uri()).startsWith("redis-sentinel://127.0.0.1:").endsWith("/0#pgroute");
            RedisNode primary = redis.primary();
            RedisWire.command(primary.port(), "SET", "k", "v");
            processes = redis.processes();

            RedisNode killed = redis.killPrimary();

            assertThat(killed).isEqualTo(primary);
            Deadline.in(FAILOVER_TIMEOUT).await("the sentinel to promote the replica",
                    () -> !redis.primary().equals(killed));
            RedisNode promoted = redis.primary();
            Deadline.in(FAILOVER_TIMEOUT).await(promoted + " to report role:master", () -> "master".equals(
                    RedisWire.infoField(RedisWire.text(promoted.port(), "INFO", "replication"), "role")));
            assertThat(RedisWire.command(promoted.port(), "SET", "k2", "v2")).isEqualTo("OK");
        }
        assertThat(processes).noneMatch(ProcessHandle::isAlive);
    }
}
