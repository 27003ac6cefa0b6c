package io.pgroute.proxy.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.pgroute.localcluster.LocalCluster;
import io.pgroute.localcluster.PgNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * The classifier against a real hot standby: every statement it calls read-only really runs on the replica,
 * and statements it sends to the primary for being writes really fail there (25006, 0A000, or XX000 as for
 * {@code lo_create}). The catalog comes from pg_proc. COMPAT R5: what JSqlParser misses (writable CTEs, locking
 * clauses in subqueries, SELECT INTO, functions in ORDER BY, UNLOGGED tables, STABLE functions that fail on a
 * standby) is among the statements checked here.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.pgroute.localcluster.DockerModeCondition.class)
class ClassifierStandbyIT {
    private static final String DB = "sqlclass";
    private static final Set<String> STANDBY_REFUSALS = Set.of("25006", "0A000", "XX000");

    private static LocalCluster cluster;
    private static PgProcCatalog catalog;
    private static Classifier classifier;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.builder().replicas(1).redis(false).start();
        cluster.createDatabase(DB);
        cluster.execute(DB,
                "create table t (id int primary key, a int, b text)",
                "create table u (id int, a int)",
                "insert into t select g, g % 3, 'x' || g from generate_series(1, 20) g",
                "insert into u select g, g from generate_series(1, 5) g",
                "create sequence s1",
                "create unlogged table ul (a int)",
                "create view v_t as select id, a from t",
                "create materialized view mv as select count(*) from t",
                "create function write_audit() returns int volatile language sql as "
                        + "'insert into u values (0, 0) returning 1'",
                "create function stable_fn() returns int stable language sql as 'select 1'",
                "create function imm_fn(int) returns int immutable language sql as 'select $1 + 1'",
                "create procedure proc() language sql as 'insert into u values (1, 1)'");
        cluster.awaitReplication(Duration.ofSeconds(20));
        try (Connection primary = connect(cluster.primary())) {
            catalog = PgProcCatalog.load(primary);
        }
        classifier = new Classifier(catalog, 1000);
    }

    @AfterAll
    static void stop() {
        if (classifier != null) {
            classifier.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Connection connect(PgNode node) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", cluster.superuser());
        properties.setProperty("password", cluster.superuserPassword());
        properties.setProperty("socketTimeout", "10");
        properties.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(node.jdbcUrl(DB), properties);
    }

    @Test
    void loadsVolatilityAndPrimaryOnlyRelationsFromTheCatalog() {
        assertThat(catalog.volatility("nextval")).isEqualTo(Volatility.VOLATILE);
        assertThat(catalog.volatility("lower")).isEqualTo(Volatility.IMMUTABLE);
        assertThat(catalog.volatility("now")).isEqualTo(Volatility.STABLE);
        assertThat(catalog.volatility("write_audit")).isEqualTo(Volatility.VOLATILE);
        assertThat(catalog.volatility("public.imm_fn")).isEqualTo(Volatility.IMMUTABLE);
        assertThat(catalog.volatility("no_such_function")).isEqualTo(Volatility.UNKNOWN);
        assertThat(catalog.isPrimaryOnlyRelation("ul")).isTrue();
        assertThat(catalog.isPrimaryOnlyRelation("public.s1")).isTrue();
        assertThat(catalog.isPrimaryOnlyRelation("t")).isFalse();
    }

    @Test
    void everyStatementClassifiedReadOnlySucceedsOnTheStandby() throws Exception {
        List<String> failures = new ArrayList<>();
        try (Connection replica = connect(cluster.replicas().get(0))) {
            for (String each : StandbyStatements.READS) {
                StatementInfo info = classifier.classify(each);
                if (!info.readOnly()) {
                    failures.add(each + ": classified for the primary (" + info.reason() + ")");
                    continue;
                }
                try {
                    run(replica, each, info);
                } catch (SQLException e) {
                    failures.add(each + ": " + e.getSQLState() + " " + e.getMessage());
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void statementsRoutedToThePrimaryAsWritesFailOnTheStandby() throws Exception {
        List<String> failures = new ArrayList<>();
        try (Connection replica = connect(cluster.replicas().get(0))) {
            for (String each : StandbyStatements.WRITES) {
                StatementInfo info = classifier.classify(each);
                if (info.readOnly()) {
                    failures.add(each + ": classified read-only");
                    continue;
                }
                try {
                    run(replica, each, info);
                    failures.add(each + ": succeeded on the standby");
                } catch (SQLException e) {
                    if (!STANDBY_REFUSALS.contains(e.getSQLState())) {
                        failures.add(each + ": " + e.getSQLState() + " " + e.getMessage());
                    }
                }
                rollback(replica);
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void statementsRoutedToThePrimarySucceedThere() throws Exception {
        try (Connection primary = connect(cluster.primary())) {
            primary.setAutoCommit(false);
            for (String each : StandbyStatements.PRIMARY_ONLY_READS) {
                assertThat(classifier.classify(each).readOnly()).as(each).isFalse();
                try (Statement statement = primary.createStatement()) {
                    statement.execute(each);
                } catch (SQLException e) {
                    fail(each + ": " + e.getSQLState() + " " + e.getMessage());
                }
                primary.rollback();
            }
        }
    }

    /** Runs one statement in autocommit; one that needs a transaction block runs in one, rolled back. */
    private static void run(Connection connection, String sql, StatementInfo info) throws SQLException {
        try {
            execute(connection, sql, info);
        } catch (SQLException e) {
            if (!"25P01".equals(e.getSQLState())) {
                throw e;
            }
            connection.setAutoCommit(false);
            try {
                execute(connection, sql, info);
            } finally {
                connection.rollback();
                connection.setAutoCommit(true);
            }
        } finally {
            rollback(connection);
        }
    }

    private static void execute(Connection connection, String sql, StatementInfo info) throws SQLException {
        try {
            if (info.kind() == StatementKind.COPY_OUT) {
                connection.unwrap(PGConnection.class).getCopyAPI().copyOut(sql, new ByteArrayOutputStream());
            } else if (info.kind() == StatementKind.COPY_IN) {
                byte[] row = "200\t1\tz\n".getBytes(StandardCharsets.UTF_8);
                connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql, new ByteArrayInputStream(row));
            } else {
                try (Statement statement = connection.createStatement()) {
                    statement.execute(sql);
                }
            }
        } catch (java.io.IOException e) {
            throw new SQLException(e);
        }
    }

    /** Leaves no transaction open between statements (BEGIN READ ONLY, failed statements). */
    private static void rollback(Connection connection) throws SQLException {
        if (connection.getAutoCommit()) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("rollback");
            }
        }
    }
}
