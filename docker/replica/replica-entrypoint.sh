#!/usr/bin/env bash
# Entrypoint of the replica container (official postgres:17 image). On first start it waits for the primary and
# clones it with pg_basebackup -R into the empty PGDATA, which leaves standby.signal and primary_conninfo behind;
# then, and on every later start, it runs postgres as a hot standby streaming from the primary.
set -euo pipefail

primary_host="${PRIMARY_HOST:-primary}"
primary_port="${PRIMARY_PORT:-5432}"
wait_seconds="${PRIMARY_WAIT_SECONDS:-120}"

# As root (the image's default): give PGDATA to postgres with the mode the server insists on, then run this
# script again as postgres, as the image's own entrypoint does.
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 0700 "$PGDATA"
  exec gosu postgres bash "${BASH_SOURCE[0]}" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  deadline=$((SECONDS + wait_seconds))
  until pg_isready -q -h "$primary_host" -p "$primary_port"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "replica: primary $primary_host:$primary_port not ready after ${wait_seconds}s" >&2
      exit 1
    fi
    sleep 1
  done
  echo "replica: cloning $primary_host:$primary_port into $PGDATA"
  PGPASSWORD="${REPLICATION_PASSWORD:-replicator}" pg_basebackup --host="$primary_host" --port="$primary_port" \
    --username=replicator --no-password --pgdata="$PGDATA" --wal-method=stream --slot=replica \
    --checkpoint=fast --write-recovery-conf
fi

exec postgres "$@"
