#!/usr/bin/env bash
# A private NATS server with JetStream for Mittler.
#   nats.sh start DIR PORT   start in its own session (so Ctrl-C reaches Mittler first), wait until it answers
#   nats.sh stop DIR         stop it and wait until it is gone
set -euo pipefail

cmd=${1:?usage: nats.sh start DIR PORT | stop DIR}
dir=$(realpath -m "${2:?DIR}")
bin=$(command -v nats-server || echo /usr/sbin/nats-server)

running() { [ -f "$dir/nats.pid" ] && kill -0 "$(cat "$dir/nats.pid")" 2>/dev/null; }

case "$cmd" in
  start)
    port=${3:?PORT}
    mkdir -p "$dir"
    if running; then echo "==> NATS already running from $dir"; exit 0; fi
    setsid "$bin" -a 127.0.0.1 -p "$port" -js -sd "$dir/jetstream" -P "$dir/nats.pid" -l "$dir/nats.log" \
      </dev/null >/dev/null 2>&1 &
    for _ in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then exit 0; fi
      sleep 0.1
    done
    echo "NATS on port $port did not answer; see $dir/nats.log" >&2; exit 1
    ;;
  stop)
    running || exit 0
    pid=$(cat "$dir/nats.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || { rm -f "$dir/nats.pid"; exit 0; }; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/nats.pid"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
