#!/usr/bin/env bash
# `make bench`: the benchmarks, in release mode, against real servers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
"$here/deps.sh"
echo "==> machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
"$here/with-test-pg.sh" cargo bench -p mittler-platform --bench outbox_pipeline -- "$@"
