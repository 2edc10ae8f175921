#!/usr/bin/env bash
# `make run`: install what is missing, start private NATS (JetStream) and PostgreSQL
# in $MITTLER_DATA_DIR (default .data) unless NATS_URL / DATABASE_URL are given,
# migrate, seed the demo data, and run every service in one process. Ctrl-C stops Mittler, then the
# private servers. A second run reuses the data.
#
# Settings (environment): NATS_URL, DATABASE_URL, MITTLER_DATA_DIR,
# MITTLER_NATS_PORT (14222), MITTLER_PG_PORT (15432), MITTLER_HTTP_ADDR
# (127.0.0.1:8080), MITTLER_BIN (skip the build and run this binary).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

"$here/deps.sh"

data=$(realpath -m "${MITTLER_DATA_DIR:-.data}")
nats_port=${MITTLER_NATS_PORT:-14222}
pg_port=${MITTLER_PG_PORT:-15432}
http_addr=${MITTLER_HTTP_ADDR:-127.0.0.1:8080}
mkdir -p "$data"
chmod 755 "$data"

started_nats=0
started_pg=0
mittler_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$mittler_pid" ] && kill -0 "$mittler_pid" 2>/dev/null; then
    kill -TERM "$mittler_pid" 2>/dev/null || true
    wait "$mittler_pid" 2>/dev/null || true
  fi
  rm -f "$data/mittler.pid"
  if [ "$started_nats" = 1 ]; then echo "==> stopping NATS"; "$here/nats.sh" stop "$data/nats"; fi
  if [ "$started_pg" = 1 ]; then echo "==> stopping PostgreSQL"; "$here/pg.sh" stop "$data/pg"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${NATS_URL:-}" ]; then
  echo "==> starting NATS with JetStream on 127.0.0.1:$nats_port (store: $data/nats)"
  "$here/nats.sh" start "$data/nats" "$nats_port"
  started_nats=1
  NATS_URL="nats://127.0.0.1:$nats_port"
fi
if [ -z "${DATABASE_URL:-}" ]; then
  echo "==> starting PostgreSQL on 127.0.0.1:$pg_port (data: $data/pg)"
  "$here/pg.sh" start "$data/pg" "$pg_port"
  started_pg=1
  "$here/pg.sh" ensure-db "$pg_port"
  DATABASE_URL="postgres://mittler@127.0.0.1:$pg_port/mittler"
fi

if [ -z "${MITTLER_BIN:-}" ]; then
  echo "==> building mittler"
  cargo build --quiet --bin mittler
  MITTLER_BIN="$root/target/debug/mittler"
fi

export MITTLER__NATS__URL="$NATS_URL"
export MITTLER__DATABASE__URL="$DATABASE_URL"
export MITTLER__HTTP__ADDR="$http_addr"

echo "==> migrating and seeding demo data"
"$MITTLER_BIN" seed-demo

echo "==> Mittler on http://$http_addr  (Ctrl-C stops everything)"
# In the background and waited for, so the traps run as soon as a signal arrives.
"$MITTLER_BIN" serve &
mittler_pid=$!
echo "$mittler_pid" > "$data/mittler.pid"
set +e
wait "$mittler_pid"
status=$?
set -e
mittler_pid=""
exit "$status"
