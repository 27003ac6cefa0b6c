package io.pgroute.proxy.sql;

import static io.pgroute.proxy.sql.StatementKind.READ;
import static io.pgroute.proxy.sql.StatementKind.SET;
import static io.pgroute.proxy.sql.StatementKind.TRANSACTION_BEGIN;
import static io.pgroute.proxy.sql.StatementKind.TRANSACTION_END;
import static io.pgroute.proxy.sql.StatementKind.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ClassifierTest {
    /** A catalog as pg_proc would give it for the test schema, falling back to the built-in knowledge. */
    static final FunctionCatalog CATALOG = new FunctionCatalog() {
        private final Map<String, Volatility> user = Map.of("write_audit", Volatility.VOLATILE,
                "app.bump", Volatility.VOLATILE, "stable_fn", Volatility.STABLE, "imm_fn", Volatility.IMMUTABLE);

        @Override
        public Volatility volatility(String name) {
            return user.getOrDefault(name, Volatility.UNKNOWN);
        }

        @Override
        public boolean isPrimaryOnlyRelation(String name) {
            return Set.of("unlogged_t", "public.unlogged_t", "seq1").contains(name);
        }
    };

    private static final Classifier CLASSIFIER = new Classifier(CATALOG, 1000);

    @AfterAll
    static void close() {
        CLASSIFIER.close();
    }

    static Stream<ClassifierCase> cases() {
        return ClassifierCases.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void classifies(ClassifierCase expected) {
        expected.check(CLASSIFIER.classify(expected.sql()));
    }

    @Test
    void hasAtLeast120Cases() {
        assertThat(ClassifierCases.all()).hasSizeGreaterThanOrEqualTo(120);
    }

    @Test
    void returnsTheCachedInstanceOnTheSecondCall() {
        String sql = "select * from cached_once where id = $1";
        StatementInfo first = CLASSIFIER.classify(sql);
        assertThat(CLASSIFIER.classify(sql)).isSameAs(first);
    }

    @Test
    void countsParseFailures() {
        long before = CLASSIFIER.parseFailures();
        StatementInfo info = CLASSIFIER.classify("select a ~~* 'x' from t /* unparseable " + System.nanoTime() + " */");
        assertThat(info.parsed()).isFalse();
        assertThat(info.readOnly()).isFalse();
        assertThat(CLASSIFIER.parseFailures()).isEqualTo(before + 1);
    }

    @Test
    void anUnreadableStatementThatChangesItsSessionStillSaysSo() {
        StatementInfo settings = CLASSIFIER.classify(
                "select pg_catalog.set_config('search_path', '', false) where 'x' ~~* 'X'");
        assertThat(settings.parsed()).isFalse();
        assertThat(settings.functions()).as("the session is pinned for set_config").contains("set_config");
        StatementInfo lock = CLASSIFIER.classify("select pg_advisory_lock(42) where 'x' ~~* 'X'");
        assertThat(lock.parsed()).isFalse();
        assertThat(lock.pinsSession()).isTrue();
    }

    @Test
    void lexerOnlyStatementsDoNotTouchTheParser() {
        long before = CLASSIFIER.parseFailures();
        try (Classifier broken = new Classifier(CATALOG, 10, Duration.ofMillis(1), 1)) {
            broken.close();
            assertThat(broken.classify("BEGIN READ ONLY").readOnly()).isTrue();
            assertThat(broken.classify("SET search_path = app").kind()).isEqualTo(SET);
            assertThat(broken.classify("SHOW work_mem").readOnly()).isTrue();
            assertThat(broken.classify("select 1").parsed()).isFalse();
        }
        assertThat(CLASSIFIER.parseFailures()).isEqualTo(before);
    }

    @Test
    void mergesMultiStatementStrings() {
        StatementInfo info = CLASSIFIER.classify("BEGIN READ ONLY; SELECT * FROM a; COMMIT");
        assertThat(info.multiStatement()).isTrue();
        assertThat(info.readOnly()).isTrue();
        assertThat(info.kind()).isEqualTo(READ);
        assertThat(info.transactionReadOnly()).isTrue();
        assertThat(info.parts()).extracting(StatementInfo::kind).containsExactly(TRANSACTION_BEGIN, READ,
                TRANSACTION_END);
        StatementInfo write = CLASSIFIER.classify("select 1; update t set a = 1; select 2");
        assertThat(write.readOnly()).isFalse();
        assertThat(write.kind()).isEqualTo(WRITE);
        assertThat(write.tablesWritten()).containsExactly("t");
    }

    @Test
    void reportsSettingsAndTargets() {
        assertThat(CLASSIFIER.classify("SET LOCAL statement_timeout TO '5s'").setting())
                .contains(new SettingChange("statement_timeout", "'5s'", true));
        assertThat(CLASSIFIER.classify("set search_path to default").setting())
                .contains(new SettingChange("search_path", null, false));
        assertThat(CLASSIFIER.classify("SET TIME ZONE 'UTC'").setting())
                .contains(new SettingChange("timezone", "'UTC'", false));
        assertThat(CLASSIFIER.classify("RESET ALL").setting()).contains(new SettingChange("all", null, false));
        assertThat(CLASSIFIER.classify("LISTEN jobs").target()).contains("jobs");
        assertThat(CLASSIFIER.classify("begin isolation level repeatable read").isolation())
                .contains(IsolationLevel.REPEATABLE_READ);
    }

    @Test
    void appliesHintsAndCacheability() {
        StatementInfo hinted = CLASSIFIER.classify("/* pgroute: primary */ select * from t");
        assertThat(hinted.hint()).isEqualTo(Hint.PRIMARY);
        assertThat(hinted.readOnly()).isTrue();
        assertThat(hinted.cacheable()).isFalse();
        StatementInfo ttl = CLASSIFIER.classify("/* pgroute: cache ttl=30s */ select * from t");
        assertThat(ttl.cacheTtl()).contains(Duration.ofSeconds(30));
        assertThat(ttl.cacheable()).isTrue();
        assertThat(CLASSIFIER.classify("/* pgroute: nocache */ select * from t").cacheable()).isFalse();
        assertThat(CLASSIFIER.classify("select now(), * from t").cacheable()).isFalse();
        assertThat(CLASSIFIER.classify("select random()").cacheable()).isFalse();
        assertThat(CLASSIFIER.classify("select lower(a) from t").cacheable()).isTrue();
    }

    @Test
    void reportsWhatPinsTheSession() {
        for (String each : List.of("create temp table x (a int)", "listen c", "select pg_advisory_lock(1)",
                "declare c cursor with hold for select 1", "prepare p as select 1",
                // COMPAT T9: a temp table made by SELECT INTO
                "select 1 into temp tmp1", "SELECT a, b INTO TEMPORARY TABLE tmp2 FROM t WHERE a > 1",
                "select * into local temp tmp3 from t",
                "create temp table x (a int) on commit delete rows", "create temp table x (a int) on commit preserve rows",
                "create temp table x (a int default (1)) as select 1 as on_commit_drop",
                // COMPAT G4: a DO block that may change a session setting the proxy cannot see
                "do $$ begin perform set_config('app.tenant', '42', false); end $$",
                "DO $$BEGIN SET search_path = a; END$$", "do $$ begin reset all; end $$",
                "do $$ begin execute 'SET work_mem = ''8MB'''; end $$",
                "do $b$ begin if true then set role r; end if; end $b$")) {
            assertThat(CLASSIFIER.classify(each).pinsSession()).as(each).isTrue();
        }
        for (String each : List.of("select pg_advisory_xact_lock(1)", "select 1", "declare c cursor for select 1",
                "select * into newtab from t", "select (select 1) as into_temp from t",
                "do $$ begin update t set a = 1; insert into t values (2); end $$",
                "do $$ begin perform 1; end $$",
                // COMPAT T9: a temp table that ends with its transaction
                "create temp table x (a int) on commit drop", "CREATE TEMPORARY TABLE x ON COMMIT DROP AS SELECT 1",
                "create temp table x (a int check (a > 0)) with (fillfactor = 70) on commit drop")) {
            assertThat(CLASSIFIER.classify(each).pinsSession()).as(each).isFalse();
        }
        assertThat(CLASSIFIER.classify("select 1 into temp tmp1").readOnly()).isFalse();
        assertThat(CLASSIFIER.classify("select 1 into temp tmp1").reason()).isEqualTo("select into temp table");
        // what a rollback takes back: temporary objects, not the other state that pins
        for (String each : List.of("create temp table x (a int)", "select 1 into temp tmp1",
                "create temporary sequence s", "create temp view v as select 1",
                // the temporary schema named outright
                "create table pg_temp.x (a int)", "CREATE TABLE IF NOT EXISTS PG_TEMP.x AS SELECT 1",
                "create table pg_temp_3.x (a int)", "create or replace function pg_temp.f() returns int as 'select 1'",
                "create view pg_temp.v as select 1", "create sequence if not exists pg_temp.s",
                "select 1 into pg_temp.tmp1", "select 1 as a into table pg_temp.tmp2",
                "select * into unlogged table pg_temp.tmp3 from t",
                "with a as (select 1 as x) select x into temp tmp4 from a")) {
            assertThat(CLASSIFIER.classify(each).createsTemporary()).as(each).isTrue();
            assertThat(CLASSIFIER.classify(each).pinsSession()).as(each).isTrue();
            assertThat(CLASSIFIER.classify(each).readOnly()).as(each).isFalse();
        }
        for (String each : List.of("listen c", "select pg_advisory_lock(1)", "prepare p as select 1",
                "create table x (a int)", "create temp table x (a int) on commit drop", "load 'auto_explain'",
                "create table pg_temp.x (a int) on commit drop", "create table pg_temporary.x (a int)",
                "create table pg_temp_x.t (a int)", "create function f(pg_temp.t) returns int as 'select 1'",
                "select 1 into pg_tempo.t", "create view v as select * from pg_temp.t",
                "insert into pg_temp.t values (1)", "insert into temp values (1)",
                "merge into pg_temp.t using s on t.a = s.a when matched then do nothing",
                "with a as (select 1) insert into temp select * from a",
                "with a as (select 1) insert into pg_temp.t select * from a")) {
            assertThat(CLASSIFIER.classify(each).createsTemporary()).as(each).isFalse();
        }
    }

    /** A DROP or a CLOSE of one cursor may end the session's last temporary object or held cursor. */
    @Test
    void dropAndCloseMayEndStateThatPins() {
        for (String each : List.of("drop table t", "DROP TABLE IF EXISTS pg_temp.t CASCADE", "drop view v",
                "drop function pg_temp.f()", "drop sequence s", "close c", "CLOSE \"Held\"")) {
            assertThat(CLASSIFIER.classify(each).removes()).as(each).isTrue();
        }
        for (String each : List.of("close all", "fetch 1 from c", "move next in c", "create table t (a int)",
                "select 1", "delete from t", "discard temp")) {
            assertThat(CLASSIFIER.classify(each).removes()).as(each).isFalse();
        }
    }

    /** COMPAT T9: LOAD puts a library into the server process for good. */
    @Test
    void loadPinsTheSession() {
        StatementInfo load = CLASSIFIER.classify("LOAD 'auto_explain'");
        assertThat(load.kind()).isEqualTo(StatementKind.UTILITY);
        assertThat(load.pinsSession()).isTrue();
        assertThat(load.readOnly()).isFalse();
        assertThat(load.target()).contains("auto_explain");
        assertThat(CLASSIFIER.classify("vacuum t").pinsSession()).isFalse();
    }

    @Test
    void aLongListOfLiteralsIsReadLikeAShortOne() {
        StringBuilder in = new StringBuilder("select count(*) from accounts where id in (");
        for (int i = 1; in.length() < 1_000_000; i++) {
            in.append(i).append(',');
        }
        long before = CLASSIFIER.parseFailures();
        StatementInfo info = CLASSIFIER.classify(in.append("0)").toString());
        assertThat(CLASSIFIER.parseFailures()).as("JSqlParser gave up on it whole").isEqualTo(before);
        assertThat(info.kind()).isEqualTo(READ);
        assertThat(info.readOnly()).isTrue();
        assertThat(info.tablesRead()).containsExactly("accounts");
    }

    @Test
    void aBulkInsertWithCallsInEveryRowIsReadLikeAShortOne() {
        StringBuilder insert = new StringBuilder("insert into bulk (id, name, at) values ");
        for (int i = 0; i < 6400; i++) {
            insert.append("(nextval('bulk_id'), 'n").append(i).append("', now())").append(i < 6399 ? ", " : "");
        }
        try (Classifier classifier = new Classifier(CATALOG, 10)) {
            StatementInfo info = classifier.classify(insert.toString());
            assertThat(info.reason()).as("JSqlParser gave up on all 6 400 rows after its budget").isEqualTo("write");
            assertThat(info.tablesWritten()).containsExactly("bulk");
            assertThat(info.functions()).contains("nextval", "now");
            assertThat(classifier.parseFailures()).isZero();
        }
    }

    @Test
    void aLongListKeepsEveryTableItReads() {
        // elements left out of the parser text repeat one kept: "foo bar" is one table, foo bar is foo
        String rows = "insert into logged (v) values " + "((select max(v) from \"foo bar\")), ".repeat(12)
                + "((select max(v) from foo bar)), " + "(abs(1)), (ceil(2)), ".repeat(20) + "((select max(v) from bar))";
        try (Classifier classifier = new Classifier(CATALOG, 10)) {
            StatementInfo info = classifier.classify(rows);
            assertThat(info.reason()).isEqualTo("write");
            assertThat(info.tablesRead()).containsExactlyInAnyOrder("foo bar", "foo", "bar");
            assertThat(info.tablesWritten()).containsExactly("logged");
        }
    }

    @Test
    void deeplyNestedStatementsAreNotGivenToTheParser() {
        String nested = "select * from t where a in ".repeat(1)
                + "(select a from t where a in ".repeat(20) + "(1)" + ")".repeat(20);
        try (Classifier classifier = new Classifier(CATALOG, 10, Duration.ofSeconds(60), 1)) {
            StatementInfo info = classifier.classify(nested);
            assertThat(info.reason()).isEqualTo("nested too deep");
            assertThat(info.readOnly()).isFalse();
            // the parser's one thread is free: a statement after it is parsed (20 levels kept it busy for minutes)
            assertThat(classifier.classify("select * from t where a in (select a from u)").reason()).isEqualTo("read");
        }
    }

    @Test
    void aStatementQueuedBehindAnAbandonedParseIsNotRememberedAsUnreadable() {
        // an IN list of calls to 12 800 different functions (kept whole for JSqlParser: no element repeats another):
        // its lookahead runs on without looking at the timeout's flag (with 6 400 it sometimes ended within the next
        // statement's 20 ms wait for the thread: 2 failures in 8 runs here, one in CI)
        StringBuilder slow = new StringBuilder("select * from t where id in (");
        for (int i = 0; i < 12_800; i++) {
            slow.append("f").append(i).append("(").append(i).append(i < 12_799 ? "), " : "))");
        }
        String next = "select * from behind_an_abandoned_parse where id = $1";
        try (Classifier classifier = new Classifier(CATALOG, 100, Duration.ofMillis(20), 1)) {
            assertThat(classifier.classify(slow.toString()).readOnly()).isFalse();
            // the parser's one thread still runs the abandoned parse: no verdict on the next statement
            StatementInfo busy = classifier.classify(next);
            assertThat(busy.reason()).isEqualTo("parser busy");
            assertThat(busy.readOnly()).isFalse();
            assertThat(busy.pinsSession()).isFalse();
            // what would leave state on the connection still keeps the session on it (COMPAT G3, T7)
            assertThat(classifier.classify("select pg_advisory_lock(7) from t where id = $1").pinsSession())
                    .as("an advisory lock taken while the parser is busy").isTrue();
            assertThat(classifier.classify("select pg_catalog.set_config('search_path', '', false) from t")
                    .functions()).as("set_config called while the parser is busy").contains("set_config");
            org.awaitility.Awaitility.await("the next statement is read once the thread is free")
                    .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> classifier.classify(next).reason().equals("read"));
        }
    }

    @Test
    void looksUpWithoutParsing() {
        try (Classifier classifier = new Classifier(CATALOG, 100)) {
            assertThat(classifier.lookup("BEGIN").kind()).isEqualTo(TRANSACTION_BEGIN);
            assertThat(classifier.lookup("SET application_name = 'x'").kind()).isEqualTo(SET);
            String read = "select * from looked_up where id = 1";
            assertThat(classifier.lookup(read)).as("needs JSqlParser").isNull();
            assertThat(classifier.parseFailures()).isZero();
            StatementInfo parsed = classifier.classify(read);
            assertThat(classifier.lookup("select * from looked_up where id = 2")).isSameAs(parsed);
            String longOne = "select * from looked_up where id = 1 or " + "id = 2 or ".repeat(4000) + "id = 3";
            classifier.classify(longOne);
            assertThat(classifier.lookup(longOne)).as("longer than the inline limit: not even looked up").isNull();
        }
    }

    @Test
    void classifiesElsewhereOnThreadsWithADeepStack() throws Exception {
        String chain = "select * from t where a = 0" + " or a = 1".repeat(5_000);
        try (Classifier classifier = new Classifier(CATALOG, 100, Duration.ofSeconds(60), 1)) {
            Classifier.Classified made = classifier.classifyElsewhere(() -> {
                assertThat(Thread.currentThread().getName()).startsWith("pgroute-classifier-");
                return chain;
            }).get();
            assertThat(made.sql()).isSameAs(chain);
            assertThat(made.info().reason()).as("a tree 5 000 deep walked there").isEqualTo("read");
            assertThat(made.generation()).isEqualTo(classifier.generation());
        }
    }

    @Test
    void forgetsCachedResultsWhenTheCatalogChanges() {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 10)) {
            assertThat(classifier.classify("select write_audit()").reason()).isEqualTo("unknown function write_audit");
            classifier.updateCatalog(CATALOG);
            assertThat(classifier.classify("select write_audit()").reason()).isEqualTo("volatile function write_audit");
            assertThat(classifier.classify("select stable_fn()").readOnly()).isTrue();
        }
    }

    @Test
    void classifiesPgbenchFromSevenEntriesWithoutParsingAfterWarmUp() {
        PgbenchStatements pgbench = new PgbenchStatements(1);
        try (Classifier classifier = new Classifier(CATALOG, 1000)) {
            pgbench.transaction().forEach(classifier::classify);
            classifier.close();
            for (int i = 0; i < 1000; i++) {
                List<StatementInfo> infos = pgbench.transaction().stream().map(classifier::classify).toList();
                assertThat(infos).allMatch(StatementInfo::parsed);
                assertThat(infos).extracting(StatementInfo::kind).containsExactly(TRANSACTION_BEGIN, WRITE, READ,
                        WRITE, WRITE, WRITE, TRANSACTION_END);
                assertThat(infos.get(1).tablesWritten()).containsExactly("pgbench_accounts");
                assertThat(infos.get(2).readOnly()).isTrue();
                assertThat(infos.get(5).tablesWritten()).containsExactly("pgbench_history");
            }
            assertThat(classifier.parseFailures()).isZero();
            assertThat(classifier.cachedCount()).isEqualTo(7);
        }
    }

    @Test
    void sharesOneEntryBetweenTextsThatDifferOnlyInLiterals() {
        try (Classifier classifier = new Classifier(CATALOG, 1000)) {
            StatementInfo first = classifier.classify("select * from t where id = 1 and name = 'a'");
            for (int i = 2; i < 100; i++) {
                assertThat(classifier.classify("SELECT * FROM t WHERE id = " + i + " AND name = 'n" + i + "'"))
                        .isSameAs(first);
            }
            assertThat(classifier.cachedCount()).isEqualTo(1);
        }
    }

    @Test
    void keepsTheLiteralsThatAResultHolds() {
        for (int i = 0; i < 3; i++) {
            assertThat(CLASSIFIER.classify("SET application_name = 'a'").setting())
                    .contains(new SettingChange("application_name", "'a'", false));
            assertThat(CLASSIFIER.classify("SET application_name = 'b'").setting())
                    .contains(new SettingChange("application_name", "'b'", false));
            assertThat(CLASSIFIER.classify("set transaction_read_only = 'on'").readOnly()).isTrue();
            assertThat(CLASSIFIER.classify("set transaction_read_only = 'off'").readOnly()).isFalse();
            assertThat(CLASSIFIER.classify("EXPLAIN (ANALYZE 0) INSERT INTO t VALUES (1)").tablesWritten()).isEmpty();
            assertThat(CLASSIFIER.classify("EXPLAIN (ANALYZE 1) INSERT INTO t VALUES (1)").tablesWritten())
                    .containsExactly("t");
        }
    }

    @Test
    void separatesTextsThatDifferInHintsOrNames() {
        assertThat(CLASSIFIER.classify("/* pgroute: primary */ SELECT 1").hint()).isEqualTo(Hint.PRIMARY);
        assertThat(CLASSIFIER.classify("SELECT 2").hint()).isEqualTo(Hint.NONE);
        assertThat(CLASSIFIER.classify("/* pgroute: ttl=30s */ select * from t where id = 1").cacheTtl())
                .contains(Duration.ofSeconds(30));
        assertThat(CLASSIFIER.classify("/* pgroute: ttl=60s */ select * from t where id = 2").cacheTtl())
                .contains(Duration.ofSeconds(60));
        assertThat(CLASSIFIER.classify("select * from \"Foo\" where id = 1").tablesRead()).containsExactly("Foo");
        assertThat(CLASSIFIER.classify("select * from \"foo\" where id = 2").tablesRead()).containsExactly("foo");
        assertThat(CLASSIFIER.classify("SAVEPOINT s1").target()).contains("s1");
        assertThat(CLASSIFIER.classify("SAVEPOINT s2").target()).contains("s2");
        assertThat(CLASSIFIER.classify("NOTIFY jobs, 'x'").target()).contains("jobs");
        assertThat(CLASSIFIER.classify("NOTIFY mail, 'y'").target()).contains("mail");
    }

    /** COMPAT L1: what pgroute does not read may do anything, and no text makes the classifier lex megabytes. */
    @Test
    void aTextPgrouteDoesNotReadMayDoAnything() {
        StatementInfo unread = CLASSIFIER.classify(Classifier.UNREAD_QUERY);
        assertThat(unread.kind()).isEqualTo(StatementKind.UNKNOWN);
        assertThat(unread.pinsSession()).isTrue();
        assertThat(unread.readOnly()).isFalse();
        assertThat(CLASSIFIER.classify(new String(Classifier.UNREAD_QUERY.toCharArray())).kind())
                .as("the same text from a client: a comment").isEqualTo(StatementKind.EMPTY);
        String huge = "SELECT length('" + "x".repeat(Classifier.LONGEST_READ) + "')";
        assertThat(CLASSIFIER.classify(huge)).isSameAs(unread);
    }
}
