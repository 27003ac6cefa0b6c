package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A docker-mode cluster (postgres:{@code pgroute.postgres.version}, default 17, plus redis:7), whatever
 * {@code pgroute.cluster} says. Skipped, with the reason, where no Docker engine is reachable.
 */
@ExtendWith(DockerClusterIT.DockerReachable.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerClusterIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private LocalCluster cluster;

    @BeforeAll
    void startCluster() throws IOException {
        cluster = LocalCluster.builder().mode(ClusterMode.DOCKER).replicas(1).redis(true).start();
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void rowWrittenOnThePrimaryAppearsOnTheReplica() throws SQLException {
        cluster.execute("postgres", "CREATE TABLE items (id int PRIMARY KEY, name text)",
                "INSERT INTO items VALUES (1, 'one')");
        cluster.awaitReplication(TIMEOUT);

        assertThat(cluster.replicas()).hasSize(1);
        assertThat(query(cluster.replicas().get(0), "SELECT name FROM items WHERE id = 1")).isEqualTo("one");
    }

    @Test
    @Order(2)
    void replicaIsInRecoveryAndThePrimaryIsNot() throws SQLException {
        assertThat(query(cluster.primary(), "SELECT pg_is_in_recovery()")).isEqualTo("f");
        assertThat(query(cluster.replicas().get(0), "SELECT pg_is_in_recovery()")).isEqualTo("t");
        assertThat(query(cluster.primary(), "SELECT count(*) FROM pg_stat_replication WHERE application_name = "
                + "'replica1' AND state = 'streaming'")).isEqualTo("1");
    }

    @Test
    @Order(3)
    void nodesAreOnLoopbackAtMappedPortsAndRunTheRequestedVersion() throws SQLException {
        assertThat(cluster.mode()).isEqualTo(ClusterMode.DOCKER);
        assertThat(cluster.nodes()).extracting(PgNode::host).containsOnly("127.0.0.1");
        assertThat(cluster.nodes()).extracting(PgNode::port).doesNotHaveDuplicates();
        assertThat(cluster.processes()).isEmpty();
        String version = System.getProperty(LocalCluster.Builder.POSTGRES_VERSION_PROPERTY, "17");
        String major = version.split("[.-]")[0];
        for (PgNode each : cluster.nodes()) {
            assertThat(query(each, "SHOW server_version")).startsWith(major + ".");
        }
    }

    @Test
    @Order(4)
    void redisAnswersPing() throws IOException {
        RedisNode redis = cluster.redis().orElseThrow();

        assertThat(redis.host()).isEqualTo("127.0.0.1");
        assertThat(RedisWire.command(redis.port(), "PING")).isEqualTo("PONG");
    }

    @Test
    @Order(5)
    void usersAuthenticateWithScramAndMd5() throws SQLException {
        cluster.createUser("scram_user", "s3cret'pw");
        cluster.createMd5User("md5_user", "md5pw");
        cluster.awaitReplication(TIMEOUT);

        assertThat(queryAs(cluster.primary(), "scram_user", "s3cret'pw", "SELECT current_user"))
                .isEqualTo("scram_user");
        assertThat(queryAs(cluster.replicas().get(0), "md5_user", "md5pw", "SELECT current_user"))
                .isEqualTo("md5_user");
    }

    @Test
    @Order(6)
    void stoppedReplicaCatchesUpAfterStartOnTheSamePort() throws SQLException {
        PgNode replica = cluster.replicas().get(0);

        cluster.stop(replica);
        assertThatThrownBy(() -> query(replica, "SELECT 1")).isInstanceOf(SQLException.class);
        cluster.execute("postgres", "INSERT INTO items VALUES (2, 'two')");
        cluster.start(replica);
        cluster.awaitReplication(TIMEOUT);

        assertThat(cluster.replicas()).containsExactly(replica);
        assertThat(query(replica, "SELECT name FROM items WHERE id = 2")).isEqualTo("two");
    }

    @Test
    @Order(7)
    void killedRedisComesBackEmptyOnTheSamePort() throws IOException {
        int port = cluster.redis().orElseThrow().port();
        RedisWire.command(port, "SET", "k", "v");

        cluster.killRedis();
        assertThatThrownBy(() -> RedisWire.command(port, "PING")).isInstanceOf(IOException.class);
        cluster.startRedis();

        assertThat(RedisWire.command(port, "GET", "k")).isNull();
    }

    private String query(PgNode node, String sql) throws SQLException {
        return queryAs(node, cluster.superuser(), cluster.superuserPassword(), sql);
    }

    private static String queryAs(PgNode node, String user, String password, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(node.jdbcUrl("postgres") + "?connectTimeout=5",
                user, password);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }

    /** Like {@link DockerModeCondition}, but for docker mode whatever {@code pgroute.cluster} says. */
    static final class DockerReachable implements ExecutionCondition {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return DockerModeCondition.evaluate(ClusterMode.DOCKER);
        }
    }
}
