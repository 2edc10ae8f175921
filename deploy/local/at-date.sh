#!/usr/bin/env bash
# Run the Rust tests (or any cargo command that runs test binaries) with the clock of
# every process they start moved to a chosen instant; from there it runs on at the
# normal pace:
#   deploy/local/at-date.sh 2026-10-25T00:30:00Z deploy/local/with-test-pg.sh cargo nextest run
#   make test-at DATE=2026-12-31T23:10:00Z
# The test binaries run through deploy/local/faked.sh (cargo's target runner), which
# preloads libfaketime with one fixed offset, so that every clock agrees: the tests,
# the services they start, the browser they drive and the PostgreSQL of
# with-test-pg.sh (pg.sh starts it faked too). cargo and rustc keep the real clock
# (rustc hangs under libfaketime). Monotonic clocks stay real, so timeouts and
# timers keep their lengths. nats-server does not read the clock through the C
# library and keeps the real date: nothing in Mittler compares its timestamps with
# the services' clocks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
when=${1:?usage: at-date.sh INSTANT COMMAND [ARG...]}
shift
[ $# -gt 0 ] || { echo "usage: at-date.sh INSTANT COMMAND [ARG...]" >&2; exit 2; }
lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1 || true)
[ -n "$lib" ] || { echo "libfaketime is missing: run deploy/local/deps.sh --test" >&2; exit 1; }
target=$(date -u -d "$when" +%s) || { echo "not an instant: $when" >&2; exit 2; }
offset=$((target - $(date -u +%s)))
if [ "$offset" -ge 0 ]; then offset="+$offset"; fi
triple=$(rustc -vV | sed -n 's/^host: //p')
runner="CARGO_TARGET_$(echo "$triple" | tr '[:lower:]-' '[:upper:]_')_RUNNER"
echo "==> at $(date -u -d "@$target" +%Y-%m-%dT%H:%M:%SZ) ($(TZ=Europe/Berlin date -d "@$target" '+%a %d %b %Y %H:%M %Z') in Berlin): $*"
export FAKETIME="$offset"
export FAKETIME_DONT_FAKE_MONOTONIC=1
export MITTLER_FAKETIME_LIB="$lib"
export "$runner=$here/faked.sh"
exec "$@"
