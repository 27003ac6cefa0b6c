package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** The embedded cluster, whatever {@code pgroute.cluster} says: these tests look at its processes and files. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private LocalCluster cluster;

    @BeforeAll
    void startCluster() throws IOException {
        cluster = LocalCluster.builder().mode(ClusterMode.EMBEDDED).replicas(2).setting("max_connections", "150")
                .start();
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void replicatesPrimaryWritesToEveryReplica() throws SQLException {
        cluster.execute("postgres", "CREATE TABLE items (id int PRIMARY KEY, name text)",
                "INSERT INTO items VALUES (1, 'one')");
        cluster.awaitReplication(TIMEOUT);

        assertThat(cluster.replicas()).hasSize(2);
        for (PgNode each : cluster.replicas()) {
            assertThat(query(each, "SELECT name FROM items WHERE id = 1")).isEqualTo("one");
        }
    }

    @Test
    @Order(2)
    void primaryIsNotInRecoveryAndReplicasAre() throws SQLException {
        assertThat(cluster.nodes()).first().isEqualTo(cluster.primary());
        assertThat(cluster.primary().primary()).isTrue();
        for (PgNode each : cluster.nodes()) {
            assertThat(query(each, "SELECT pg_is_in_recovery()")).isEqualTo(each.primary() ? "f" : "t");
            assertThat(query(each, "SELECT inet_server_port()")).isEqualTo(Integer.toString(each.port()));
            assertThat(query(each, "SHOW max_connections")).isEqualTo("150");
            assertThat(each.host()).isEqualTo("127.0.0.1");
            assertThat(each.jdbcUrl("db")).isEqualTo("jdbc:postgresql://127.0.0.1:" + each.port() + "/db");
        }
        assertThat(cluster.nodes()).extracting(PgNode::port).doesNotHaveDuplicates();
    }

    @Test
    @Order(3)
    void redisAnswersPing() throws IOException {
        RedisNode redis = cluster.redis().orElseThrow();

        assertThat(RedisServer.ping(redis.port())).isTrue();
        assertThat(redis.uri()).isEqualTo("redis://127.0.0.1:" + redis.port());
    }

    @Test
    @Order(4)
    void scramUserLogsInWithTheRightPasswordOnly() throws SQLException {
        cluster.createUser("scram_user", "s3cret'pw");

        assertThat(query(cluster.primary(), "SELECT rolpassword FROM pg_authid WHERE rolname = 'scram_user'"))
                .startsWith("SCRAM-SHA-256$");
        assertThat(queryAs(cluster.primary(), "scram_user", "s3cret'pw", "SELECT current_user"))
                .isEqualTo("scram_user");
        assertThatThrownBy(() -> queryAs(cluster.primary(), "scram_user", "wrong", "SELECT 1"))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
    }

    @Test
    @Order(5)
    void md5UserLogsInWithTheRightPasswordOnly() throws SQLException {
        cluster.createMd5User("md5_user", "md5pw");
        cluster.createDatabase("app");
        cluster.awaitReplication(TIMEOUT);

        assertThat(query(cluster.primary(), "SELECT rolpassword FROM pg_authid WHERE rolname = 'md5_user'"))
                .startsWith("md5");
        PgNode replica = cluster.replicas().get(0);
        assertThat(queryAs(replica, "md5_user", "md5pw", "SELECT current_user")).isEqualTo("md5_user");
        assertThatThrownBy(() -> queryAs(replica, "md5_user", "wrong", "SELECT 1"))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
    }

    @Test
    @Order(6)
    void stoppedReplicaCatchesUpAfterStart() throws SQLException {
        PgNode replica = cluster.replicas().get(1);

        cluster.stop(replica);
        assertThatThrownBy(() -> query(replica, "SELECT 1")).isInstanceOf(SQLException.class);
        cluster.execute("postgres", "INSERT INTO items VALUES (2, 'two')");
        cluster.start(replica);
        cluster.awaitReplication(TIMEOUT);

        assertThat(query(replica, "SELECT name FROM items WHERE id = 2")).isEqualTo("two");
    }

    @Test
    @Order(7)
    void closeStopsEveryProcessAndDeletesTheData() throws IOException {
        List<ProcessHandle> processes = cluster.processes();
        List<Long> postmasters = new ArrayList<>();
        for (PgNode each : cluster.nodes()) {
            postmasters.add(each.postmasterPid());
        }
        assertThat(processes).extracting(ProcessHandle::pid).containsAll(postmasters);
        Path baseDir = cluster.baseDir();

        cluster.close();
        cluster.close();

        assertThat(processes).noneMatch(LocalClusterIT::isRunning);
        assertThat(baseDir).doesNotExist();
        assertThat(cluster.processes()).isEmpty();
    }

    @Test
    @Order(8)
    void failedStartLeavesNothingBehindAndShowsTheServerLog(@TempDir Path tempDir) {
        Path baseDir = tempDir.resolve("broken");

        assertThatThrownBy(() -> LocalCluster.builder().mode(ClusterMode.EMBEDDED).replicas(1).redis(false)
                .baseDir(baseDir).setting("max_connections", "many").start())
                .isInstanceOf(IOException.class)
                .hasMessageContaining("max_connections");

        assertThat(baseDir).doesNotExist();
        assertThat(ProcessHandle.allProcesses())
                .noneMatch(each -> each.info().commandLine().orElse("").contains(baseDir.toString()));
    }

    @Test
    @Order(9)
    void keepsDataInAGivenBaseDirWhenAsked(@TempDir Path tempDir) throws IOException {
        Path baseDir = tempDir.resolve("kept");
        try (LocalCluster small = LocalCluster.builder().mode(ClusterMode.EMBEDDED).replicas(0).redis(false)
                .baseDir(baseDir).keepData(true).superuserPassword("other pw").start()) {
            assertThat(small.replicas()).isEmpty();
            assertThat(small.redis()).isEmpty();
            assertThat(queryAs(small.primary(), "postgres", "other pw", "SELECT 1")).isEqualTo("1");
        } catch (SQLException e) {
            throw new AssertionError(e);
        }

        assertThat(baseDir.resolve("pg/primary/PG_VERSION")).exists();
        assertThat(Files.readString(baseDir.resolve("pg/primary/PG_VERSION")).strip()).isEqualTo("17");
    }

    @Test
    @Order(10)
    void serversDieWithAKilledJvmAndTheNextClusterDeletesItsData() throws Exception {
        Path output = Files.createTempFile("pgroute-child", ".out");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Child.class.getName())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        List<ProcessHandle> processes = new ArrayList<>();
        Path baseDir = null;
        try {
            Deadline.in(Duration.ofSeconds(60)).await("the child JVM's cluster", () -> Files.readString(output)
                    .contains(Child.READY));
            for (String line : Files.readAllLines(output)) {
                if (line.startsWith(Child.PID)) {
                    ProcessHandle.of(Long.parseLong(line.substring(Child.PID.length()))).ifPresent(processes::add);
                } else if (line.startsWith(Child.BASE_DIR)) {
                    baseDir = Path.of(line.substring(Child.BASE_DIR.length()));
                }
            }
            assertThat(processes).isNotEmpty();
        } finally {
            child.destroyForcibly().waitFor();
        }

        try {
            Deadline.in(Duration.ofSeconds(30)).await("the killed JVM's servers to exit",
                    () -> processes.stream().noneMatch(LocalClusterIT::isRunning));
            assertThat(baseDir).isNotNull().exists();
            StaleClusters.deleteOrphans(baseDir.getParent());
            assertThat(baseDir).doesNotExist();
        } finally {
            Files.delete(output);
            if (baseDir != null) {
                DirectoryTree.delete(baseDir);
            }
        }
    }

    /** Starts a cluster, prints its processes, then waits to be killed. */
    static final class Child {

        static final String PID = "PID ";
        static final String BASE_DIR = "BASEDIR ";
        static final String READY = "READY";

        public static void main(String[] args) throws Exception {
            LocalCluster cluster = LocalCluster.builder().mode(ClusterMode.EMBEDDED).replicas(1).start();
            cluster.processes().forEach(each -> System.out.println(PID + each.pid()));
            System.out.println(BASE_DIR + cluster.baseDir());
            System.out.println(READY);
            Thread.sleep(120_000);
        }
    }

    /** Alive and not a zombie waiting for an init that reaps lazily (or never, in some containers). */
    private static boolean isRunning(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return process.isAlive();
        }
    }

    private String query(PgNode node, String sql) throws SQLException {
        return queryAs(node, cluster.superuser(), cluster.superuserPassword(), sql);
    }

    private static String queryAs(PgNode node, String user, String password, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(node.jdbcUrl("postgres"), user, password);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            assertThat(rows.next()).isTrue();
            return rows.getString(1);
        }
    }
}
