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
  echo "==> booking -> first offer, whole system"
  cargo bench -p mittler --bench first_offer
  echo "==> sign-in under a flood: peak memory"
  cargo bench -p mittler --bench sign_in_memory
}
"$here/with-test-pg.sh" bash -c "$(declare -f benches); benches"

echo "==> offline matcher against greedy (shared/workload)"
cargo build --release --quiet --bin mittler
python3 deploy/local/bench_matcher.py target/release/mittler
