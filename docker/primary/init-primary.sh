#!/usr/bin/env bash
# Runs once, when the official postgres image initialises an empty data directory (/docker-entrypoint-initdb.d),
# against its temporary socket-only server. Creates the application role and database pgroute connects as, and the
# replication role, slot and pg_hba entry the replica clones itself with (docker/replica/replica-entrypoint.sh).
# The entrypoint may source this file instead of running it: keep its shell options (-e, pipefail) and add none.
set -eo pipefail

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE app LOGIN PASSWORD 'app';
CREATE DATABASE app OWNER app;
CREATE ROLE replicator REPLICATION LOGIN PASSWORD 'replicator';
SELECT pg_create_physical_replication_slot('replica');
SQL

# "host all all all" (added by the entrypoint) does not match replication connections.
printf 'host replication replicator all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
