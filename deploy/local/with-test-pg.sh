#!/usr/bin/env bash
# Run a command with a throw-away PostgreSQL cluster (fast, not durable) on a free
# port, named by MITTLER_TEST_PG; the cluster is deleted afterwards. Tests create a
# database of their own in it; nothing touches a server already on this machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/mittler-pg.XXXXXX)
chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  "$here/pg.sh" stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT
echo "==> throw-away PostgreSQL on 127.0.0.1:$port"
PG_FAST=1 "$here/pg.sh" start "$work/pg" "$port"
export MITTLER_TEST_PG="postgres://postgres@127.0.0.1:$port"
"$@"
