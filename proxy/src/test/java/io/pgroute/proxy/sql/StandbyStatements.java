package io.pgroute.proxy.sql;

import java.util.List;

/** Statements for {@link ClassifierStandbyIT}, against its schema (t, u, s1, ul, v_t, mv, functions, proc). */
final class StandbyStatements {
    /** Must be classified read-only and run on a hot standby. */
    static final List<String> READS = List.of(
            "select 1",
            "select * from t where id = 1",
            "select * from public.t",
            "select t.*, u.a from t join u on u.id = t.id",
            "TABLE t",
            "values (1), (2)",
            "with x as (select * from t) select * from x",
            "select count(*) over (partition by a order by id) from t",
            "select lower(b), upper(b) from t order by lower(b)",
            "select * from v_t",
            "select * from mv",
            "select stable_fn(), imm_fn(1)",
            "select pg_is_in_recovery(), inet_server_port(), inet_server_addr()",
            "select current_setting('work_mem'), pg_backend_pid()",
            "select pg_last_wal_replay_lsn()",
            "select random(), gen_random_uuid(), clock_timestamp()",
            "select now(), current_timestamp, localtimestamp",
            "select txid_current_if_assigned()",
            "select * from generate_series(1, 3)",
            "select exists (select 1 from u)",
            "select coalesce(a, 0), nullif(a, 1) from t",
            "select * from pg_class limit 1",
            "select * from information_schema.tables limit 1",
            "select E'it\\'s', $q$it's$q$ /* a /* nested */ comment */",
            "explain select * from t",
            "explain analyze select * from t",
            "show work_mem",
            "set search_path = public",
            "reset search_path",
            "set application_name = 'x'",
            "set session characteristics as transaction isolation level repeatable read",
            "set transaction isolation level repeatable read",
            "discard all",
            "discard plans",
            "unlisten *",
            "unlisten jobs",
            "deallocate all",
            "commit",
            "rollback",
            "begin read only",
            "start transaction isolation level repeatable read read only",
            "savepoint s1",
            "declare c cursor for select * from t",
            "copy t to stdout",
            "copy (select id from t where a = 1) to stdout with csv",
            "select 1;; select 2",
            "BEGIN READ ONLY; SELECT * FROM t; COMMIT");

    /** Must be classified for the primary and be refused by a hot standby (25006, 0A000 or XX000). */
    static final List<String> WRITES = List.of(
            "insert into t values (100, 1, 'x')",
            "update t set a = 2 where id = 1",
            "delete from t where id = 1",
            "merge into t using u on t.id = u.id when matched then update set a = u.a",
            "with x as (insert into u values (9, 9) returning *) select * from x",
            "select * from t for update",
            "select * from (select * from t for share) s",
            "select * from t where id in (select id from u for no key update)",
            "select * into newtab from t",
            "create table x (a int)",
            "create temp table tt (a int)",
            "truncate t",
            "select nextval('s1')",
            "select setval('s1', 5)",
            "select a from t order by nextval('s1')",
            "select txid_current()",
            "select pg_current_xact_id()",
            "select write_audit()",
            "select * from ul",
            "call proc()",
            "do $$ begin insert into u values (101, 1); end $$",
            "listen jobs",
            "notify jobs",
            "select pg_notify('jobs', 'x')",
            "begin isolation level serializable read only",
            "set transaction_read_only = off",
            "explain analyze insert into t values (102, 1, 'z')",
            "explain analyze create table x2 as select 1",
            "select lo_create(0)",
            "select pg_logical_emit_message(true, 'p', 'x')",
            "copy t from stdin",
            "refresh materialized view mv",
            "vacuum t",
            "grant select on t to public",
            "select 1; insert into u values (1, 1)");

    /** Sent to the primary although a standby would answer (differently): they must work there. */
    static final List<String> PRIMARY_ONLY_READS = List.of(
            "select * from pg_stat_activity",
            "select * from pg_locks",
            "show in_hot_standby",
            "select last_value from s1",
            "select pg_advisory_xact_lock(1)",
            "select b ~~* 'x' from t");

    private StandbyStatements() {
    }
}
