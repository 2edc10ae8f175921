#!/usr/bin/env bash
# The checked SQL of the `query!` macros.
#   sqlx.sh prepare   write .sqlx/ from a freshly migrated database
#   sqlx.sh check     fail if .sqlx/ does not match the code and the migrations
# Runs against a throw-away PostgreSQL (with-test-pg.sh) unless MITTLER_TEST_PG is set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

mode=${1:-}
case "$mode" in prepare | check) ;; *) echo "usage: $0 prepare|check" >&2; exit 2 ;; esac

if ! cargo sqlx --version >/dev/null 2>&1; then
  echo "cargo-sqlx is missing: run deploy/local/deps.sh --test (make deps)" >&2
  exit 1
fi

if [ -z "${MITTLER_TEST_PG:-}" ]; then
  exec "$here/with-test-pg.sh" "$0" "$mode"
fi

db="mittler_sqlx_$$"
url="${MITTLER_TEST_PG%/}/$db"
psql -q "${MITTLER_TEST_PG%/}/postgres" -c "CREATE DATABASE $db" >/dev/null
trap 'psql -q "${MITTLER_TEST_PG%/}/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
sqlx migrate run --source migrations --database-url "$url" >/dev/null
export DATABASE_URL="$url"
if [ "$mode" = prepare ]; then
  cargo sqlx prepare --workspace -- --all-targets --quiet
else
  cargo sqlx prepare --workspace --check -- --all-targets --quiet
fi
