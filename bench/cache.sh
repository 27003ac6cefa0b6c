#!/usr/bin/env bash
# Result-cache benchmark: pgroute's Redis cache on the hit path, on an expensive aggregate and on a large result,
# plus pgbench -S, each through pgroute and directly against one replica.
#
# Usage:
#   bench/cache.sh                                  # DURATION=10 CLIENTS=8 THREADS=2
#   DURATION=30 CLIENTS=16 THREADS=4 bench/cache.sh
#   PGROUTE_JAR=/path/to/pgroute.jar bench/cache.sh # default: proxy/target/pgroute.jar (built if missing)
#
# Environment (defaults): DURATION=10 (seconds per pgbench run), CLIENTS=8, THREADS=2, ROWS=200000 (bench_orders),
# SCALE=5 (pgbench -i for the -S run), READY_TIMEOUT=240 (seconds to wait for the demo), PGROUTE_JAR.
# Needs java, psql and pgbench on PATH. Starts `pgroute demo --replicas 2` on a free port of 127.0.0.1 (primary,
# 2 replicas and Redis from Maven-shipped binaries, cache enabled), creates its tables THROUGH pgroute so that
# pgroute's catalog knows them, checks from pgroute's DEBUG log (switched on only around warm-ups, through a
# scanned logback.xml) that the "cached" workloads are hits, runs the measurements one after another (not
# interleaved) and prints a markdown table. The demo is stopped with SIGTERM (by pid) on exit.
set -euo pipefail

DURATION="${DURATION:-10}"
CLIENTS="${CLIENTS:-8}"
THREADS="${THREADS:-2}"
ROWS="${ROWS:-200000}"
SCALE="${SCALE:-5}"
READY_TIMEOUT="${READY_TIMEOUT:-240}"

root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="${PGROUTE_JAR:-$root/proxy/target/pgroute.jar}"
if [ ! -f "$jar" ]; then
  echo "cache.sh: building $jar ..." >&2
  (cd "$root" && mvn -B -q -DskipTests package) >&2
fi

export PGPASSWORD=app
work="$(mktemp -d /tmp/pgroute-bench-cache.XXXXXX)"
demo_pid=""

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

stop_demo() {
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
    log "stopping demo (pid $demo_pid)"
    kill -TERM "$demo_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$demo_pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$demo_pid" 2>/dev/null; then
      log "demo did not stop within 30 s: SIGKILL"
      kill -KILL "$demo_pid" 2>/dev/null || true
    fi
    wait "$demo_pid" 2>/dev/null || true
  fi
  demo_pid=""
}
cleanup() {
  local rc=$?
  stop_demo
  if [ -n "${KEEP_WORK:-}" ]; then
    log "logs kept in $work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "cache.sh: no free port found" >&2
  return 1
}

# pgroute's cache logging: DEBUG around warm-ups only (it logs one line per lookup), INFO while measuring.
write_logback() {
  local level="$1"
  cat >"$work/logback.xml.new" <<EOF
<configuration scan="true" scanPeriod="1 seconds">
    <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
        <target>System.err</target>
        <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n</pattern></encoder>
    </appender>
    <logger name="io.netty" level="INFO"/>
    <logger name="io.pgroute.proxy.cache" level="$level"/>
    <logger name="io.pgroute.proxy.session.SessionCache" level="$level"/>
    <root level="INFO"><appender-ref ref="STDERR"/></root>
</configuration>
EOF
  mv "$work/logback.xml.new" "$work/logback.xml"
}
# Logback rescans every second; a probe query through pgroute shows when the new level is in force.
set_cache_logging() {
  local level="$1" before deadline=$((SECONDS + 20))
  write_logback "$level"
  while [ $SECONDS -lt $deadline ]; do
    sleep 1.5
    before=$(wc -l <"$work/demo.err")
    q "$port" "SELECT count(*) FROM products" >/dev/null
    sleep 0.3
    if [ "$level" = DEBUG ] && tail -n +"$((before + 1))" "$work/demo.err" | grep -q 'cache \(hit\|miss\)'; then
      return 0
    fi
    if [ "$level" = INFO ] && ! tail -n +"$((before + 1))" "$work/demo.err" | grep -q 'cache \(hit\|miss\)'; then
      return 0
    fi
  done
  echo "cache.sh: logback did not switch to $level within 20 s" >&2
  return 1
}

q() { # q PORT SQL: one statement, autocommit, unaligned output
  timeout 600 psql -X -q -A -t -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$1 dbname=app user=app" -c "$2"
}

wait_replicas() { # until every replica replayed the primary's current WAL position
  local lsn deadline=$((SECONDS + 120)) each
  lsn=$(q "$primary" "SELECT pg_current_wal_lsn()")
  for each in "${replicas[@]}"; do
    until [ "$(q "$each" "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ]; do
      if [ $SECONDS -ge $deadline ]; then
        echo "cache.sh: replica $each did not replay $lsn within 120 s" >&2
        return 1
      fi
      sleep 0.2
    done
  done
}

# --- start the demo ---------------------------------------------------------------------------------------------
port=$(free_port)
write_logback INFO
log "starting pgroute demo on 127.0.0.1:$port (work dir $work)"
java -Dlogback.configurationFile="$work/logback.xml" -jar "$jar" demo --port "$port" --replicas 2 \
  >"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!
deadline=$((SECONDS + READY_TIMEOUT))
until grep -q 'pgroute demo is running' "$work/demo.out" 2>/dev/null; do
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    echo "cache.sh: the demo exited early; its output:" >&2
    cat "$work/demo.out" "$work/demo.err" >&2
    exit 1
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo "cache.sh: the demo was not ready within $READY_TIMEOUT s" >&2
    tail -n 50 "$work/demo.err" >&2
    exit 1
  fi
  sleep 0.5
done
primary=$(sed -n 's/^ *primary: *127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/demo.out")
mapfile -t replicas < <(sed -n 's/^ *replica: *127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/demo.out")
replica="${replicas[0]}"
redis_port=$(sed -n 's/^ *redis: *redis:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/demo.out")
log "pgroute :$port, primary :$primary, replicas :${replicas[*]}, redis :$redis_port"

# --- data -------------------------------------------------------------------------------------------------------
# pgbench tables directly on the primary first, so that the catalog reload after the DDL below sees them too.
log "pgbench -i -s $SCALE on the primary"
timeout 600 pgbench -q -i -s "$SCALE" "host=127.0.0.1 port=$primary dbname=app user=app" >"$work/init.log" 2>&1
log "creating bench_orders ($ROWS rows) through pgroute"
q "$port" "DROP TABLE IF EXISTS bench_orders"
q "$port" "CREATE TABLE bench_orders (id int PRIMARY KEY, customer int NOT NULL, amount numeric(12,2) NOT NULL)"
q "$port" "INSERT INTO bench_orders SELECT g, (g * 7919) % 1000, round((random() * 1000)::numeric, 2)
           FROM generate_series(1, $ROWS) g"
q "$port" "ANALYZE bench_orders"
wait_replicas
sleep 2 # the writes' settle (the monitor's next WAL sample) ends their flux; until then fills are not stored

# --- workloads ----------------------------------------------------------------------------------------------------
printf 'SELECT * FROM products;\n' >"$work/products.sql"
printf '/* pgroute: nocache */ SELECT * FROM products;\n' >"$work/products-nocache.sql"
agg='SELECT customer % 10, count(*), sum(amount) FROM bench_orders GROUP BY 1 ORDER BY 1;'
printf '%s\n' "$agg" >"$work/agg.sql"
printf '/* pgroute: nocache */ %s\n' "$agg" >"$work/agg-nocache.sql"
printf 'SELECT * FROM bench_orders;\n' >"$work/large.sql"
printf '/* pgroute: nocache */ SELECT * FROM bench_orders;\n' >"$work/large-nocache.sql"
# pgbench -S's own script, with the hint: separates the cache's miss path from the rest of pgroute's read path.
printf '\\set aid random(1, %s)\n/* pgroute: nocache */ SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n' \
  "$((100000 * SCALE))" >"$work/select-only-nocache.sql"

results="$work/results.tsv"
: >"$results"
problems="$work/problems.txt"
: >"$problems"

# redis_calls: "<EVALSHA+EVAL calls> <SET calls>" from Redis' INFO commandstats (a lookup is one EVALSHA, a store one
# SET; lookups the circuit breaker skips never reach Redis). Inline commands over bash's /dev/tcp: no redis-cli needed.
redis_calls() {
  local out
  out=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$redis_port && printf 'INFO commandstats\r\nQUIT\r\n' >&3 \
    && cat <&3" 2>/dev/null | tr -d '\r' || true)
  awk -F'[:=,]' '/^cmdstat_eval(sha)?:/ { e += $3 } /^cmdstat_set:/ { s += $3 } END { printf "%d %d\n", e, s }' \
    <<<"$out"
}

# count_log FROM PATTERN: lines of the demo's log after line FROM that match PATTERN
count_log() { tail -n +"$(($1 + 1))" "$work/demo.err" | grep -c "$2" || true; }

# warm PORT NAME PGBENCH-ARGS...: a short pgbench run with cache logging on; records hits/misses/stores/abandoned
warm() {
  local target="$1" name="$2" from rc=0
  shift 2
  from=$(wc -l <"$work/demo.err")
  timeout 300 pgbench "$@" "host=127.0.0.1 port=$target dbname=app user=app" >"$work/warm-$name.log" 2>&1 || rc=$?
  sleep 0.5
  local hits misses stores abandoned
  hits=$(count_log "$from" 'cache hit ')
  misses=$(count_log "$from" 'cache miss ')
  stores=$(count_log "$from" 'cache store ')
  abandoned=$(count_log "$from" 'cache fill abandoned')
  log "warm-up $name (pgbench $*): rc=$rc hits=$hits misses=$misses stores=$stores fills-abandoned=$abandoned"
  printf 'hits=%s misses=%s stores=%s abandoned=%s\n' "$hits" "$misses" "$stores" "$abandoned" >"$work/warm-$name.counts"
  if [ "$rc" -ne 0 ]; then
    printf 'warm-up %s: pgbench exit %s\n' "$name" "$rc" >>"$problems"
    grep -iE 'error|abort|fatal' "$work/warm-$name.log" | sort | uniq -c | head -5 >>"$problems" || true
  fi
}
warm_counts() { cat "$work/warm-$1.counts" 2>/dev/null || echo '-'; }

# run WORKLOAD PATH PORT CACHE-NOTE PGBENCH-ARGS...: one measured pgbench run
run() {
  local workload="$1" path="$2" target="$3" note="$4" rc=0 out
  shift 4
  out="$work/run-$(printf '%s-%s' "$workload" "$path" | tr -c 'A-Za-z0-9' '_').log"
  log "measuring: $workload / $path: pgbench $*"
  local redis_before log_before
  redis_before=$(redis_calls)
  log_before=$(wc -l <"$work/demo.err")
  timeout $((DURATION * 3 + 120)) pgbench "$@" "host=127.0.0.1 port=$target dbname=app user=app" >"$out" 2>&1 \
    || rc=$?
  local tps lat failed
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out" | head -1)
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$out" | head -1)
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out" | head -1)
  local processed redis_after lookups stores warns
  processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out" | head -1)
  redis_after=$(redis_calls)
  lookups=$(( ${redis_after% *} - ${redis_before% *} ))
  stores=$(( ${redis_after#* } - ${redis_before#* } ))
  warns=$(count_log "$log_before" ' WARN ')
  if [ "$target" = "$port" ]; then
    note="${note:+$note; }run: tx=${processed:-?} redis lookups=$lookups stores=$stores pgroute WARNs=$warns"
  fi
  printf '  %-34s %-26s tps=%-10s latency_avg_ms=%-8s failed=%s rc=%s\n' "$workload" "$path" "${tps:--}" \
    "${lat:--}" "${failed:--}" "$rc"
  if [ "$rc" -ne 0 ] || grep -qiE 'error|aborted' "$out"; then
    {
      printf '%s / %s: pgbench exit %s\n' "$workload" "$path" "$rc"
      grep -iE 'error|abort|fatal' "$out" | sed 's/^pgbench: error: client [0-9]* /pgbench: error: client N /' \
        | sort | uniq -c | head -5
    } >>"$problems"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$path" "${tps:--}" "${lat:--}" "${failed:--}" "$note" >>"$results"
}

common=(-n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$DURATION")

# Check the cached paths hit (and the nocache/large ones do not), with cache logging on.
set_cache_logging DEBUG
# warm_until_hits NAME SCRIPT TX: a fill run, then up to 3 checking runs until one has no miss
warm_until_hits() {
  local name="$1" script="$2" tx="$3" attempt
  warm "$port" "$name-fill" -n -M prepared -c "$CLIENTS" -j "$THREADS" -t 5 -f "$script"
  for attempt in 1 2 3; do
    warm "$port" "$name" -n -M prepared -c "$CLIENTS" -j "$THREADS" -t "$tx" -f "$script"
    if grep -q 'misses=0 ' "$work/warm-$name.counts" && ! grep -q 'hits=0 ' "$work/warm-$name.counts"; then
      sed -i "s/\$/ (check run $attempt)/" "$work/warm-$name.counts"
      return 0
    fi
    sleep 1
  done
  printf 'warm-up %s: no all-hit run in 3 tries, last: %s\n' "$name" "$(warm_counts "$name")" >>"$problems"
}
warm_until_hits products "$work/products.sql" 50
warm "$port" products-nocache -n -M prepared -c "$CLIENTS" -j "$THREADS" -t 20 -f "$work/products-nocache.sql"
warm_until_hits agg "$work/agg.sql" 20
warm "$port" large -n -M prepared -c 2 -j 2 -t 3 -f "$work/large.sql"
warm "$port" select-only -n -S -M prepared -c 1 -j 1 -t 200
set_cache_logging INFO

echo
echo "Measurements (-c $CLIENTS -j $THREADS -T $DURATION unless stated; one run each, not interleaved):"
run "1. products (5 rows)" "pgroute, cached" "$port" "warm-up: $(warm_counts products)" \
  "${common[@]}" -f "$work/products.sql"
run "1. products (5 rows)" "pgroute, nocache" "$port" "warm-up: $(warm_counts products-nocache)" \
  "${common[@]}" -f "$work/products-nocache.sql"
run "1. products (5 rows)" "direct replica" "$replica" "" "${common[@]}" -f "$work/products.sql"

run "2. aggregate over bench_orders" "pgroute, cached" "$port" "warm-up: $(warm_counts agg)" \
  "${common[@]}" -f "$work/agg.sql"
run "2. aggregate over bench_orders" "pgroute, nocache" "$port" "" "${common[@]}" -f "$work/agg-nocache.sql"
run "2. aggregate over bench_orders" "direct replica" "$replica" "" "${common[@]}" -f "$work/agg.sql"

large=(-n -M prepared -c 2 -j 2 -T "$DURATION")
run "3. SELECT * bench_orders (-c 2 -j 2)" "pgroute, cache on" "$port" "warm-up: $(warm_counts large)" \
  "${large[@]}" -f "$work/large.sql"
run "3. SELECT * bench_orders (-c 2 -j 2)" "pgroute, nocache" "$port" "" "${large[@]}" -f "$work/large-nocache.sql"
run "3. SELECT * bench_orders (-c 2 -j 2)" "direct replica" "$replica" "" "${large[@]}" -f "$work/large.sql"

run "4. pgbench -S (scale $SCALE)" "pgroute" "$port" "warm-up -t 200 -c 1: $(warm_counts select-only)" \
  -n -S -M prepared -c "$CLIENTS" -j "$THREADS" -T "$DURATION"
run "4. pgbench -S (scale $SCALE)" "pgroute, nocache (same SELECT)" "$port" "" \
  -n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$DURATION" -f "$work/select-only-nocache.sql"
run "4. pgbench -S (scale $SCALE)" "direct replica" "$replica" "" \
  -n -S -M prepared -c "$CLIENTS" -j "$THREADS" -T "$DURATION"

# --- report -------------------------------------------------------------------------------------------------------
echo
echo "| workload | path | tps | latency avg (ms) | tps vs direct replica | failed tx | cache check (DEBUG log, warm-up) |"
echo "|---|---|---|---|---|---|---|"
awk -F'\t' '
  function num(x, f) { return x == "-" ? "-" : sprintf(f, x) }
  { row[NR] = $0; if ($2 == "direct replica") direct[$1] = $3 }
  END {
    for (i = 1; i <= NR; i++) {
      split(row[i], f, "\t")
      tps = f[3] == "-" ? "-" : num(f[3], f[3] < 100 ? "%.1f" : "%.0f")
      ratio = (f[3] == "-" || direct[f[1]] == "" || direct[f[1]] == "-" || f[2] == "direct replica") ? "" \
        : sprintf("%.2f", f[3] / direct[f[1]])
      printf "| %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], tps, num(f[4], "%.2f"), ratio, f[5], f[6]
    }
  }' "$results"
echo
if [ -s "$problems" ]; then
  echo "Problems:"
  sed 's/^/  /' "$problems"
else
  echo "No pgbench errors or failed transactions."
fi
warns=$(grep -cE ' (WARN|ERROR) ' "$work/demo.err" || true)
echo "pgroute log: $warns WARN/ERROR line(s)"
grep -E ' (WARN|ERROR) ' "$work/demo.err" | sed 's/^[0-9:.]* //' | sort | uniq -c | sort -rn | head -10 || true
