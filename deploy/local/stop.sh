#!/usr/bin/env bash
# `make stop`: stop the private servers of $MITTLER_DATA_DIR (default .data), and a
# Mittler that `make run` left running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
data=$(realpath -m "${MITTLER_DATA_DIR:-.data}")
if [ -f "$data/mittler.pid" ]; then
  pid=$(cat "$data/mittler.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$data/mittler.pid"
fi
if [ -f "$data/mail-sink.pid" ]; then
  kill -TERM "$(cat "$data/mail-sink.pid")" 2>/dev/null || true
  rm -f "$data/mail-sink.pid"
fi
"$here/nats.sh" stop "$data/nats"
"$here/pg.sh" stop "$data/pg"
echo "==> stopped"
