#!/usr/bin/env bash
# `make bench-e2e`: the whole system under load through its public API.
#
# Starts private PostgreSQL and NATS (throw-away, on free ports), a mail sink, and
# Mittler from release builds; `mittler-load` creates the mediators of a workload
# instance and drives bookings at several rates with simulated mediators accepting.
# Then the same with every service as a process of its own, for their memory.
#
# Settings: BENCH_INSTANCE (../shared/workload/instances/medium-s1.json),
# BENCH_RATES ("10 100 200 400"), BENCH_SECONDS (20), BENCH_MEDIATORS (500),
# BENCH_PROFILE=1 (sample every CPU with `perf record -e cpu-clock` during the
# 100/s run and print where the time goes: by process, then by function; and
# PostgreSQL's statements of that run by total time, with calls per booking).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
"$here/deps.sh"

instance=${BENCH_INSTANCE:-$root/../shared/workload/instances/medium-s1.json}
rates=${BENCH_RATES:-10 100 200 400}
seconds=${BENCH_SECONDS:-20}
mediators=${BENCH_MEDIATORS:-500}

echo "==> machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
echo "==> building (release)"
cargo build --release --quiet --bin mittler --bin mittler-load \
  --bin mittler-gateway --bin mittler-booking --bin mittler-availability \
  --bin mittler-sessions --bin mittler-notifications
bin="$root/target/release"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/mittler-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$here/nats.sh" stop "$work/nats" >/dev/null 2>&1 || true
  "$here/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

start_stack() {
  pg_port=$(free_port); nats_port=$(free_port); mail_port=$(free_port); mail_web=$(free_port)
  rm -rf "$work/pg" "$work/nats" "$work/mail"
  pg_opts=""
  if [ "${BENCH_PROFILE:-0}" = 1 ]; then
    pg_opts="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
  fi
  PG_FAST=1 PG_OPTS="$pg_opts" "$here/pg.sh" start "$work/pg" "$pg_port" >/dev/null
  "$here/pg.sh" ensure-db "$pg_port" >/dev/null
  if [ "${BENCH_PROFILE:-0}" = 1 ]; then
    psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -d mittler -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
  fi
  "$here/nats.sh" start "$work/nats" "$nats_port" >/dev/null
  /usr/bin/python3 "$here/mail_sink.py" --smtp-port "$mail_port" --http-port "$mail_web" --dir "$work/mail" >/dev/null 2>&1 &
  pids+=($!)
  export MITTLER__DATABASE__URL="postgres://mittler@127.0.0.1:$pg_port/mittler"
  export MITTLER__DATABASE__MAX_CONNECTIONS=40
  export MITTLER__DATABASE__MIN_CONNECTIONS=40
  export MITTLER__NATS__URL="nats://127.0.0.1:$nats_port"
  export MITTLER__NOTIFICATIONS__SMTP_PORT="$mail_port"
  export MITTLER__TELEMETRY__FILTER="warn,sqlx=error"
  export MITTLER__AUTH__MAX_FAILED_LOGINS=1000000
  "$bin/mittler" seed-demo >/dev/null
}

wait_ready() {
  for _ in $(seq 1 200); do
    if curl -fsS "http://$1/readyz" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "not ready: $1" >&2; return 1
}

load() {
  "$bin/mittler-load" --base "http://$http" --nats "$MITTLER__NATS__URL" --instance "$instance" \
    --mediators "$mediators" --mail "http://127.0.0.1:$mail_web" "$@"
}

echo
echo "==> all in one process (mittler serve)"
start_stack
http="127.0.0.1:$(free_port)"
MITTLER__HTTP__ADDR="$http" "$bin/mittler" serve >"$work/mittler.log" 2>&1 &
mittler_pid=$!
pids+=($mittler_pid)
wait_ready "$http"
sleep 2
reuse=""
for rate in $rates; do
  echo
  echo "==> mittler-load --rate $rate --seconds $seconds (all in one, pid $mittler_pid)"
  if [ "${BENCH_PROFILE:-0}" = 1 ] && [ "$rate" = 100 ]; then
    pg_psql=(psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -d mittler)
    booked_before=$("${pg_psql[@]}" -tAc "SELECT count(*) FROM booking.bookings")
    # Profile the bookings only: from the moment the load generator's set-up is done.
    rm -f "$work/started"
    load --rate "$rate" --seconds "$seconds" --pid "$mittler_pid" --started-file "$work/started" $reuse &
    load_pid=$!
    while [ ! -f "$work/started" ] && kill -0 "$load_pid" 2>/dev/null; do sleep 0.05; done
    "${pg_psql[@]}" -c "SELECT pg_stat_statements_reset()" >/dev/null
    perf record -a -g -e cpu-clock -F 499 -o "$work/perf.data" -- sleep "$seconds" >/dev/null 2>&1 &
    perf_pid=$!
    wait "$load_pid"
    wait "$perf_pid" || true
    booked=$(( $("${pg_psql[@]}" -tAc "SELECT count(*) FROM booking.bookings") - booked_before ))
    echo
    echo "==> PostgreSQL statements during the 100/s run ($booked bookings): by total time"
    "${pg_psql[@]}" -P pager=off -c "
      SELECT round(total_exec_time::numeric, 0) AS total_ms,
             round((100 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 1) AS pct,
             calls, round(calls::numeric / greatest($booked, 1), 2) AS per_booking,
             round(mean_exec_time::numeric, 3) AS mean_ms,
             left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS statement
        FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 25"
    echo "==> by calls"
    "${pg_psql[@]}" -P pager=off -c "
      SELECT calls, round(calls::numeric / greatest($booked, 1), 2) AS per_booking,
             round(total_exec_time::numeric, 0) AS total_ms,
             left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS statement
        FROM pg_stat_statements ORDER BY calls DESC LIMIT 40"
    "${pg_psql[@]}" -P pager=off -c "
      SELECT sum(calls) AS statements, round(sum(calls)::numeric / greatest($booked, 1), 1) AS per_booking,
             round(sum(total_exec_time)::numeric, 0) AS total_ms
        FROM pg_stat_statements"
    echo
    echo "==> CPU samples by process (all CPUs, during the 100/s run)"
    perf report -i "$work/perf.data" --stdio --no-children --sort comm -g none 2>/dev/null | grep -E "^ +[0-9]" | head -8 || true
    echo
    echo "==> CPU samples by function in mittler (pid $mittler_pid)"
    perf report -i "$work/perf.data" --stdio --no-children --pid "$mittler_pid" --sort dso,symbol -g none 2>/dev/null \
      | grep -E "^ +[0-9]" | cut -c1-120 | head -30 || true
  else
    load --rate "$rate" --seconds "$seconds" --pid "$mittler_pid" $reuse
  fi
  reuse="--reuse"
done
kill -TERM "$mittler_pid"; wait "$mittler_pid" 2>/dev/null || true
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
pids=()
"$here/nats.sh" stop "$work/nats" >/dev/null; "$here/pg.sh" stop "$work/pg" >/dev/null

echo
echo "==> every service a process of its own"
start_stack
http="127.0.0.1:$(free_port)"
apart=()
for service in gateway booking availability sessions notifications; do
  addr="127.0.0.1:$(free_port)"
  if [ "$service" = gateway ]; then addr="$http"; fi
  MITTLER__HTTP__ADDR="$addr" "$bin/mittler-$service" >"$work/$service.log" 2>&1 &
  pid=$!
  pids+=($pid)
  apart+=("--pid" "$pid")
  echo "    $service: pid $pid"
  wait_ready "$addr"
done
sleep 2
echo
echo "==> mittler-load --rate 100 --seconds $seconds (services apart)"
load --rate 100 --seconds "$seconds" "${apart[@]}"
