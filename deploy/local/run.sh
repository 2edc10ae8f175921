#!/usr/bin/env bash
# `make run`: install what is missing, start private NATS (JetStream) and PostgreSQL
# in $MITTLER_DATA_DIR (default .data) unless NATS_URL / DATABASE_URL are given,
# migrate, seed the demo data, and run every service in one process. Ctrl-C stops Mittler, then the
# private servers. A second run reuses the data.
#
# Settings (environment): NATS_URL, DATABASE_URL, MITTLER_DATA_DIR,
# MITTLER_NATS_PORT (14222), MITTLER_PG_PORT (15432), MITTLER_HTTP_ADDR
# (127.0.0.1:8080), MITTLER_BIN (skip the build and run this binary). Mail goes to
# a development mail sink (SMTP on MITTLER_MAIL_PORT, 1025; the mails on a page at
# MITTLER_MAIL_WEB_PORT, 8025) unless MITTLER__NOTIFICATIONS__SMTP_HOST names a
# real server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

"$here/deps.sh"

data=$(realpath -m "${MITTLER_DATA_DIR:-.data}")
nats_port=${MITTLER_NATS_PORT:-14222}
pg_port=${MITTLER_PG_PORT:-15432}
http_addr=${MITTLER_HTTP_ADDR:-127.0.0.1:8080}
mail_port=${MITTLER_MAIL_PORT:-1025}
mail_web_port=${MITTLER_MAIL_WEB_PORT:-8025}
mkdir -p "$data"
chmod 755 "$data"

started_nats=0
started_pg=0
mittler_pid=""
sink_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$mittler_pid" ] && kill -0 "$mittler_pid" 2>/dev/null; then
    kill -TERM "$mittler_pid" 2>/dev/null || true
    wait "$mittler_pid" 2>/dev/null || true
  fi
  rm -f "$data/mittler.pid"
  if [ -n "$sink_pid" ]; then
    echo "==> stopping the mail sink"
    kill -TERM "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
    rm -f "$data/mail-sink.pid"
  fi
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

if [ -z "${MITTLER__NOTIFICATIONS__SMTP_HOST:-}" ]; then
  echo "==> starting the mail sink: SMTP 127.0.0.1:$mail_port (nothing leaves this machine)"
  /usr/bin/python3 "$here/mail_sink.py" --smtp-port "$mail_port" --http-port "$mail_web_port" \
    --dir "$data/mail" >"$data/mail-sink.log" 2>&1 &
  sink_pid=$!
  echo "$sink_pid" > "$data/mail-sink.pid"
  export MITTLER__NOTIFICATIONS__SMTP_HOST=127.0.0.1
  export MITTLER__NOTIFICATIONS__SMTP_PORT="$mail_port"
  export MITTLER__NOTIFICATIONS__SMTP_TLS=none
fi
# The installation's one address: mail links, room links and sign-in all use it.
export MITTLER__PUBLIC_URL="${MITTLER__PUBLIC_URL:-http://$http_addr}"
export MITTLER__NATS__URL="$NATS_URL"
export MITTLER__DATABASE__URL="$DATABASE_URL"
export MITTLER__HTTP__ADDR="$http_addr"

echo "==> migrating and seeding demo data"
"$MITTLER_BIN" seed-demo

echo "==> Mittler on http://$http_addr  (Ctrl-C stops everything)"
if [ -n "$sink_pid" ]; then
  echo "==> mails it sends: http://127.0.0.1:$mail_web_port/"
fi
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
