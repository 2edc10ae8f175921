#!/usr/bin/env bash
# `make test`: every test, against real servers: formatting, the Rust tests (each
# test starts its own nats-server and creates its own database), the smoke test of
# `make run`, schemathesis against the running API (no 5xx, documented codes), and the
# fault test (services as separate processes on a NATS cluster, killed under load).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

"$here/deps.sh"

echo "==> formatting"
cargo fmt --all -- --check

rust_tests() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast --failure-output final
  else
    cargo test --workspace --no-fail-fast
  fi
}
echo "==> Rust tests"
"$here/with-test-pg.sh" bash -c "$(declare -f rust_tests); rust_tests"

echo "==> smoke test of make run"
cargo build --quiet --bin mittler
MITTLER_BIN="$root/target/debug/mittler" python3 "$root/tests/smoke/make_run.py"

echo "==> schemathesis against /api/openapi.json"
if ! command -v st >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore schemathesis
fi
MITTLER_BIN="$root/target/debug/mittler" python3 "$root/tests/fuzz/schemathesis_api.py"

echo "==> deployment files"
python3 -c "import yaml" 2>/dev/null \
  || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore pyyaml
python3 "$root/tests/deploy/check.py"

echo "==> fault test: two replicas of each service, a 3-node NATS cluster, kills under load"
cargo build --quiet --bins
python3 "$root/tests/faults/run.py"
