#!/usr/bin/env bash
# `make bench`: the benchmarks, in release mode, against real servers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
"$here/deps.sh"
echo "==> machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
benches() {
  echo "==> outbox -> JetStream -> consumer"
  cargo bench -p mittler-platform --bench outbox_pipeline
  echo "==> availability candidates"
  cargo bench -p mittler-availability --bench candidates
}
"$here/with-test-pg.sh" bash -c "$(declare -f benches); benches"
