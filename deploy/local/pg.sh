#!/usr/bin/env bash
# A private PostgreSQL cluster for Mittler.
#   pg.sh start DIR PORT     initdb if needed (as the postgres user when run as root,
#                            since PostgreSQL refuses root), start, wait until it answers
#   pg.sh stop DIR           fast shutdown
#   pg.sh ensure-db PORT     create role and database "mittler" if missing
#   pg.sh remove DIR         stop and delete the cluster of DIR
#   pg.sh where DIR          the folder the cluster of DIR lives in
# As root, DIR must be reachable for the postgres user. Where it is not (a checkout
# under /root, mode 0700), the cluster lives in /var/lib/mittler/<hash of DIR>/pg
# instead, and every command above finds it there.
# PG_FAST=1 trades durability for speed (tests only); PG_OPTS adds server options
# (e.g. "-c shared_preload_libraries=pg_stat_statements" for a benchmark's profile).
set -euo pipefail

cmd=${1:?usage: pg.sh start DIR PORT | stop DIR | remove DIR | where DIR | ensure-db PORT}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
need_bin() {
  [ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found (run deploy/local/deps.sh)" >&2; exit 1; }
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The nearest folder of $1 (itself or a parent) that exists.
existing() {
  local dir=$1
  while [ ! -e "$dir" ]; do dir=$(dirname "$dir"); done
  echo "$dir"
}

# Where the cluster of DIR lives: DIR, or a folder of its own under /var/lib/mittler
# when running as root and the postgres user cannot reach DIR's place.
place() {
  local dir
  dir=$(realpath -m "$1")
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$(existing "$(dirname "$dir")")" 2>/dev/null; then
    echo "$dir"
  else
    echo "${MITTLER_PG_HOME:-/var/lib/mittler}/$(printf '%s' "$dir" | sha256sum | cut -c1-16)/pg"
  fi
}

case "$cmd" in
  where)
    place "${2:?DIR}"
    ;;
  start)
    need_bin
    wanted=$(realpath -m "${2:?DIR}"); port=${3:?PORT}
    dir=$(place "$wanted")
    if [ "$dir" != "$wanted" ]; then
      echo "==> PostgreSQL's data lives in $dir: the postgres user cannot reach $wanted"
      mkdir -p "$(dirname "$dir")"
      chmod 755 "$(dirname "$(dirname "$dir")")" "$(dirname "$dir")"
      printf '%s\n' "$wanted" > "$(dirname "$dir")/for"
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres:postgres "$dir"
      chmod 700 "$dir"
      if ! runuser -u postgres -- test -w "$dir"; then
        echo "the postgres user cannot write to $dir; set MITTLER_DATA_DIR to a path it can reach" >&2
        exit 1
      fi
    fi
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --no-locale >"$dir.initdb.log" 2>&1 \
        || { cat "$dir.initdb.log" >&2; exit 1; }
      rm -f "$dir.initdb.log"
    fi
    if as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      echo "==> PostgreSQL already running in $dir"
    else
      opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400"
      if [ "${PG_FAST:-0}" = 1 ]; then
        opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
      fi
      opts="$opts ${PG_OPTS:-}"
      # Under deploy/local/at-date.sh the server's clock shows the chosen date too.
      faked=()
      if [ -n "${MITTLER_FAKETIME_LIB:-}" ]; then faked=(env "LD_PRELOAD=$MITTLER_FAKETIME_LIB"); fi
      as_owner "${faked[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/postgres.log" -o "$opts" -w -t 60 start >/dev/null \
        || { tail -n 30 "$dir/postgres.log" >&2; exit 1; }
    fi
    for _ in $(seq 1 100); do
      "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && exit 0
      sleep 0.1
    done
    echo "PostgreSQL on port $port did not answer" >&2; exit 1
    ;;
  stop)
    dir=$(place "${2:?DIR}")
    [ -f "$dir/postmaster.pid" ] || exit 0
    need_bin
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    ;;
  remove)
    wanted=$(realpath -m "${2:?DIR}")
    dir=$(place "$wanted")
    "$0" stop "$wanted"
    if [ "$dir" != "$wanted" ]; then
      rm -rf "$(dirname "$dir")"
    else
      rm -rf "$dir"
    fi
    ;;
  ensure-db)
    port=${2:?PORT}
    psql=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres)
    if [ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'mittler'")" != 1 ]; then
      "${psql[@]}" -c "CREATE ROLE mittler LOGIN"
    fi
    if [ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'mittler'")" != 1 ]; then
      "${psql[@]}" -c "CREATE DATABASE mittler OWNER mittler"
    fi
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
