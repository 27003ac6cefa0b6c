package io.pgroute.proxy.sql;

import static io.pgroute.proxy.sql.ClassifierCase.primary;
import static io.pgroute.proxy.sql.ClassifierCase.read;
import static io.pgroute.proxy.sql.StatementKind.COPY_IN;
import static io.pgroute.proxy.sql.StatementKind.COPY_OUT;
import static io.pgroute.proxy.sql.StatementKind.CURSOR;
import static io.pgroute.proxy.sql.StatementKind.DEALLOCATE;
import static io.pgroute.proxy.sql.StatementKind.DISCARD;
import static io.pgroute.proxy.sql.StatementKind.EMPTY;
import static io.pgroute.proxy.sql.StatementKind.EXECUTE;
import static io.pgroute.proxy.sql.StatementKind.LISTEN;
import static io.pgroute.proxy.sql.StatementKind.NOTIFY;
import static io.pgroute.proxy.sql.StatementKind.PREPARE;
import static io.pgroute.proxy.sql.StatementKind.READ;
import static io.pgroute.proxy.sql.StatementKind.RESET;
import static io.pgroute.proxy.sql.StatementKind.SAVEPOINT;
import static io.pgroute.proxy.sql.StatementKind.SET;
import static io.pgroute.proxy.sql.StatementKind.SHOW;
import static io.pgroute.proxy.sql.StatementKind.TRANSACTION_BEGIN;
import static io.pgroute.proxy.sql.StatementKind.TRANSACTION_END;
import static io.pgroute.proxy.sql.StatementKind.UNKNOWN;
import static io.pgroute.proxy.sql.StatementKind.UNLISTEN;
import static io.pgroute.proxy.sql.StatementKind.UTILITY;
import static io.pgroute.proxy.sql.StatementKind.WRITE;

import java.util.ArrayList;
import java.util.List;

/** The classifier table: COMPAT R1 and R5, item by item, plus the lexer-owned commands. */
final class ClassifierCases {
    private ClassifierCases() {
    }

    static List<ClassifierCase> all() {
        List<ClassifierCase> result = new ArrayList<>();
        result.addAll(reads());
        result.addAll(writes());
        result.addAll(functions());
        result.addAll(transactions());
        result.addAll(session());
        result.addAll(embedding());
        result.addAll(unparseable());
        return result;
    }

    private static List<ClassifierCase> reads() {
        return List.of(
                read("select 1", READ).reads().calls(),
                read("SELECT * FROM t WHERE id = $1", READ).reads("t"),
                read("select * from public.t", READ).reads("public.t"),
                read("select * from \"MyTable\" join Other o on o.id = \"MyTable\".id", READ).reads("MyTable", "other"),
                read("select * from \"Sch\".\"T\"", READ).reads("Sch.T"),
                read("TABLE t", READ).reads("t"),
                read("values (1), (2)", READ).reads(),
                read("(select a from t) union all (select a from u)", READ).reads("t", "u"),
                read("select a from t except select a from u", READ).reads("t", "u"),
                read("with x as (select * from t) select * from x", READ).reads("t"),
                read("with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) select * from r",
                        READ).reads(),
                read("select * from t where id in (select id from u where u.a = t.a)", READ).reads("t", "u"),
                read("select * from t where exists (select 1 from u)", READ).reads("t", "u"),
                read("select (select max(a) from u) from t", READ).reads("t", "u").calls("max"),
                read("select * from t1 join lateral (select * from t2 where t2.a = t1.a) y on true", READ)
                        .reads("t1", "t2"),
                read("select * from generate_series(1, 3) g", READ).calls("generate_series"),
                read("select count(*) over (partition by a order by b) from t", READ).calls("count"),
                read("select a, count(*) from t group by a having count(*) > 1 order by 2", READ).calls("count"),
                read("select lower(name) from t order by upper(name) limit 10 offset 5", READ)
                        .calls("lower", "upper"),
                read("select pg_catalog.lower('A')", READ).calls("lower"),
                read("select coalesce(a, 0), nullif(b, 1), greatest(a, b) from t", READ),
                read("select current_timestamp, now(), localtimestamp", READ),
                read("select * from t where a = any($1::int[])", READ).reads("t"),
                read("select jsonb_build_object('a', 1)", READ),
                read("select t.* from t, u where t.id = u.id", READ).reads("t", "u"),
                read("select stable_fn(), imm_fn()", READ).calls("stable_fn", "imm_fn"),
                read("/* leading comment */ select 1", READ),
                read("select 1;", READ),
                read("select * from pg_class where relname = 't'", READ).reads("pg_class"),
                read("select * from information_schema.tables", READ).reads("information_schema.tables"));
    }

    private static List<ClassifierCase> writes() {
        return List.of(
                primary("insert into t (a) values (1)", WRITE, "write").writes("t"),
                primary("INSERT INTO public.t SELECT * FROM u", WRITE, "write").writes("public.t").reads("u"),
                primary("insert into t values (1) on conflict (a) do update set a = excluded.a returning *", WRITE,
                        "write").writes("t"),
                primary("update t set a = 1 where id = $1", WRITE, "write").writes("t"),
                primary("update t set a = u.a from u where u.id = t.id", WRITE, "write").writes("t").reads("u"),
                primary("delete from t where id = 1", WRITE, "write").writes("t"),
                primary("delete from t using u where u.id = t.id", WRITE, "write").writes("t").reads("u"),
                primary("merge into t using s on t.id = s.id when matched then update set a = s.a "
                        + "when not matched then insert (id) values (s.id)", WRITE, "write").writes("t").reads("s"),
                primary("with x as (insert into t values (1) returning *) select * from x", WRITE, "writable cte")
                        .writes("t"),
                primary("with d as (delete from t where a < 0 returning id) select count(*) from d", WRITE,
                        "writable cte").writes("t"),
                primary("with u as (update t set a = 1 returning *) select * from u", WRITE, "writable cte")
                        .writes("t"),
                primary("with x as (select 1) insert into t select * from x", WRITE, "write").writes("t"),
                primary("select * into newtab from t", WRITE, "select into").writes("newtab"),
                primary("select 1 into temp tmp1", WRITE, "select into temp table").unparsed(),
                primary("select * from t for update", READ, "locking clause").locking(),
                primary("select * from t for share", READ, "locking clause").locking(),
                primary("select * from t for no key update skip locked", READ, "locking clause").locking(),
                primary("select * from t for key share nowait", READ, "locking clause").locking(),
                primary("select * from (select * from t for update) s", READ, "locking clause").locking(),
                primary("with c as (select * from t for update) select * from c", READ, "locking clause").locking(),
                primary("select * from t where id in (select id from u for update)", READ, "locking clause")
                        .locking(),
                primary("select * from t1 join lateral (select * from t2 for share) y on true", READ,
                        "locking clause").locking(),
                primary("create table x (a int)", WRITE, "ddl").writes("x"),
                primary("create temp table x (a int)", WRITE, "create temp table").writes("x"),
                primary("create temporary table if not exists x as select 1", WRITE, "create temp table"),
                primary("create unlogged table ul (a int)", WRITE, "ddl").writes("ul"),
                primary("create index on t (a)", WRITE, "ddl"),
                primary("create domain d as int", WRITE, "ddl"),
                primary("create trigger tr after insert on t execute function f()", WRITE, "ddl"),
                primary("alter type e add value 'x'", WRITE, "ddl"),
                primary("alter default privileges grant select on tables to r", WRITE, "ddl"),
                primary("alter table t add column b int", WRITE, "ddl").writes("t"),
                primary("drop table if exists a, b", WRITE, "ddl").writes("a", "b"),
                primary("truncate table only t, public.u", WRITE, "truncate").writes("t", "public.u"),
                primary("grant select on t to bob", WRITE, "ddl"),
                primary("revoke select on t from bob", WRITE, "ddl"),
                primary("comment on table t is 'x'", WRITE, "ddl"),
                primary("refresh materialized view mv", WRITE, "ddl"),
                primary("lock table t in access exclusive mode", WRITE, "lock"),
                primary("call proc(1)", WRITE, "call"),
                primary("do $$ begin insert into t values (1); end $$", WRITE, "do block"),
                primary("do language plpgsql $body$ begin perform 1; end $body$", WRITE, "do block"),
                primary("create function f() returns int language sql as $$ select 1; $$", WRITE, "ddl"),
                primary("vacuum analyze t", UTILITY, "vacuum"),
                primary("analyze t", UTILITY, "analyze"),
                primary("checkpoint", UTILITY, "checkpoint"),
                primary("cluster t using t_pkey", UTILITY, "cluster"),
                primary("reindex table t", UTILITY, "reindex"));
    }

    private static List<ClassifierCase> functions() {
        return List.of(
                primary("select nextval('s')", READ, "volatile function nextval").calls("nextval"),
                primary("select NEXTVAL('s')", READ, "volatile function nextval").calls("nextval"),
                primary("select \"nextval\"('s')", READ, "volatile function nextval").calls("nextval"),
                primary("select pg_catalog.nextval('s')", READ, "volatile function nextval").calls("nextval"),
                primary("select setval('s', 10)", READ, "volatile function setval"),
                primary("select currval('s')", READ, "volatile function currval"),
                primary("select lastval()", READ, "volatile function lastval"),
                primary("select a from t order by nextval('s')", READ, "volatile function nextval"),
                primary("select a from t group by a, nextval('s')", READ, "volatile function nextval"),
                primary("select row_number() over (order by nextval('s')) from t", READ, "nextval"),
                primary("select string_agg(a, ',' order by nextval('s')) from t", READ, "nextval"),
                primary("select * from t where a > (select nextval('s'))", READ, "nextval"),
                primary("select txid_current()", READ, "volatile function txid_current"),
                primary("select pg_current_xact_id()", READ, "volatile function pg_current_xact_id"),
                primary("select pg_advisory_lock(1)", READ, "pg_advisory_lock"),
                primary("select pg_try_advisory_xact_lock(1)", READ, "pg_try_advisory_xact_lock"),
                primary("select pg_advisory_unlock_all()", READ, "pg_advisory_unlock_all"),
                primary("select pg_notify('c', 'x')", READ, "pg_notify"),
                primary("select set_config('a.b', 'c', false)", READ, "set_config"),
                primary("select lo_create(0)", READ, "lo_create"),
                primary("select lo_import('/etc/hosts')", READ, "lo_import"),
                primary("select pg_logical_emit_message(true, 'p', 'x')", READ, "pg_logical_emit_message"),
                primary("select write_audit()", READ, "volatile function write_audit"),
                primary("select * from t where write_audit() is not null", READ, "write_audit"),
                primary("select app.bump(1)", READ, "volatile function app.bump").calls("app.bump"),
                primary("select undefined_fn(1)", READ, "unknown function undefined_fn"),
                primary("select * from unlogged_t", READ, "unlogged table or sequence unlogged_t"),
                primary("select last_value from seq1", READ, "unlogged table or sequence seq1"),
                primary("select * from pg_stat_activity", READ, "node-local view pg_stat_activity"),
                primary("select * from pg_locks", READ, "node-local view pg_locks"),
                primary("select * from pg_catalog.pg_stat_replication", READ, "node-local view"),
                primary("select * from pg_temp.x", READ, "temporary table"),
                read("select pg_is_in_recovery()", READ).calls("pg_is_in_recovery"),
                read("select inet_server_port(), inet_server_addr()", READ),
                read("select current_setting('work_mem')", READ),
                primary("select version()", READ, "server release version"),
                primary("select pg_catalog.version()", READ, "server release version"),
                read("select pg_last_wal_replay_lsn()", READ),
                read("select pg_backend_pid()", READ),
                read("select random(), gen_random_uuid(), clock_timestamp()", READ),
                read("select pg_sleep(0)", READ),
                read("select txid_current_if_assigned()", READ));
    }

    private static List<ClassifierCase> transactions() {
        return List.of(
                primary("BEGIN", TRANSACTION_BEGIN, "read-write transaction").readOnlyTransaction(false),
                primary("begin work", TRANSACTION_BEGIN, "read-write transaction"),
                read("BEGIN READ ONLY", TRANSACTION_BEGIN).readOnlyTransaction(true),
                read("begin transaction isolation level repeatable read, read only", TRANSACTION_BEGIN)
                        .readOnlyTransaction(true),
                read("START TRANSACTION READ ONLY", TRANSACTION_BEGIN).readOnlyTransaction(true),
                primary("start transaction isolation level serializable read only", TRANSACTION_BEGIN,
                        "serializable").readOnlyTransaction(false),
                primary("begin isolation level serializable read only deferrable", TRANSACTION_BEGIN,
                        "serializable"),
                primary("begin read only read write", TRANSACTION_BEGIN, "read-write"),
                read("COMMIT", TRANSACTION_END),
                read("end", TRANSACTION_END),
                read("commit and chain", TRANSACTION_END),
                read("ROLLBACK", TRANSACTION_END),
                read("abort", TRANSACTION_END),
                primary("prepare transaction 'gx'", TRANSACTION_END, "two-phase"),
                primary("commit prepared 'gx'", TRANSACTION_END, "two-phase"),
                primary("rollback prepared 'gx'", TRANSACTION_END, "two-phase"),
                read("savepoint s1", SAVEPOINT),
                read("release savepoint s1", SAVEPOINT),
                read("release s1", SAVEPOINT),
                read("rollback to savepoint s1", SAVEPOINT),
                read("rollback work to s1", SAVEPOINT),
                read("set transaction read only", SET).readOnlyTransaction(true),
                read("set transaction isolation level repeatable read", SET),
                primary("set transaction read write", SET, "read-write"),
                primary("set transaction isolation level serializable", SET, "serializable"));
    }

    private static List<ClassifierCase> session() {
        return List.of(
                read("SET search_path = app, public", SET),
                read("set local statement_timeout to '1s'", SET),
                read("set session work_mem = '64MB'", SET),
                read("set application_name to default", SET),
                read("set time zone 'UTC'", SET),
                read("set names 'UTF8'", SET),
                read("set role bob", SET),
                read("set session authorization bob", SET),
                read("set session characteristics as transaction isolation level repeatable read", SET),
                primary("set transaction_read_only = off", SET, "refused by a standby"),
                primary("set default_transaction_isolation = 'serializable'", SET, "refused by a standby"),
                read("RESET search_path", RESET),
                read("reset all", RESET),
                read("reset role", RESET),
                read("SHOW work_mem", SHOW),
                read("show time zone", SHOW),
                primary("show transaction_read_only", SHOW, "node-local"),
                primary("show in_hot_standby", SHOW, "node-local"),
                primary("show server_version", SHOW, "node-local"),
                primary("SHOW server_version_num", SHOW, "node-local"),
                read("DISCARD ALL", DISCARD),
                read("discard plans", DISCARD),
                primary("LISTEN jobs", LISTEN, "listen"),
                read("UNLISTEN *", UNLISTEN),
                read("unlisten jobs", UNLISTEN),
                primary("NOTIFY jobs, 'payload'", NOTIFY, "notify"),
                read("", EMPTY),
                read(" ;; -- nothing\n", EMPTY));
    }

    private static List<ClassifierCase> embedding() {
        return List.of(
                primary("prepare p(int) as select * from t where id = $1", PREPARE, "sql prepare").reads("t"),
                primary("prepare q as insert into t values (1)", PREPARE, "write").writes("t"),
                primary("execute p(1)", EXECUTE, "execute"),
                read("deallocate p", DEALLOCATE),
                read("deallocate prepare all", DEALLOCATE),
                read("declare c cursor for select * from t", CURSOR).reads("t"),
                read("declare c binary no scroll cursor without hold for select * from t", CURSOR),
                primary("declare c cursor with hold for select * from t", CURSOR, "with hold"),
                primary("declare c cursor for select * from t for update", CURSOR, "locking clause"),
                primary("fetch 10 from c", CURSOR, "cursor operation"),
                primary("move forward all in c", CURSOR, "cursor operation"),
                primary("close c", CURSOR, "cursor operation"),
                primary("copy t from stdin", COPY_IN, "copy from").writes("t"),
                primary("COPY public.t (a, b) FROM STDIN WITH (FORMAT csv)", COPY_IN, "copy from")
                        .writes("public.t"),
                read("copy t to stdout", COPY_OUT).reads("t"),
                read("copy (select a from t where b > 1) to stdout with csv", COPY_OUT).reads("t"),
                primary("copy (insert into t values (1) returning *) to stdout", COPY_OUT, "write"),
                primary("copy (select nextval('s')) to stdout", COPY_OUT, "nextval"),
                primary("copy t to '/tmp/x'", COPY_OUT, "server file"),
                primary("copy unlogged_t to stdout", COPY_OUT, "unlogged"),
                read("explain select * from t", READ).reads("t"),
                read("explain (costs off, verbose) select * from t join u using (id)", READ).reads("t", "u"),
                read("explain analyze select * from t", READ),
                read("explain (analyze false) select 1", READ),
                primary("explain analyze insert into t values (1)", WRITE, "explain analyze: write").writes("t"),
                primary("explain (analyze, buffers) delete from t", WRITE, "explain analyze"),
                primary("explain analyze create table x as select 1", WRITE, "explain analyze"),
                primary("explain analyze select nextval('s')", READ, "nextval"),
                primary("explain insert into t values (1)", READ, "explain: write").reads("t"));
    }

    private static List<ClassifierCase> unparseable() {
        return List.of(
                primary("select a ~~* 'x' from t", UNKNOWN, "parse failure").unparsed(),
                primary("select * from t order by a using <", UNKNOWN, "parse failure").unparsed(),
                primary("select from t", UNKNOWN, "parse failure").unparsed(),
                primary("insert into t select a ~~* 'x' from u", WRITE, "parse failure").unparsed(),
                primary("frobnicate the database", UNKNOWN, "unknown statement"),
                primary("select 1; insert into t values (1)", WRITE, "write").writes("t"),
                primary("select 1; create domain d as int", WRITE, "ddl"),
                read("select E'it\\'s' from t", READ).reads("t"),
                read("select $q$it's$q$, /* a /* nested */ comment */ 1", READ),
                read("select 1;; select 2", READ));
    }
}
