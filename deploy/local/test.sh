#!/usr/bin/env bash
# `make test`: every test, against real servers: formatting, clippy, the dependency
# check (cargo deny), the check of .sqlx/, the Rust tests (each
# test starts its own nats-server and creates its own database; once today and at
# three chosen dates), the smoke test of
# `make run`, schemathesis against the running API (no 5xx, documented codes), and the
# fault test (services as separate processes on a NATS cluster, killed under load).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

"$here/deps.sh" --test

echo "==> formatting"
cargo fmt --all -- --check

echo "==> clippy (warnings fail)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "==> dependencies: licences, sources, advisories (deny.toml)"
# cargo deny reads the metadata of every platform's crates; a fresh machine has
# only those its own builds fetched.
cargo fetch --quiet
if "$here/advisory-db.sh" have; then
  cargo deny --offline check
else
  # Without the database no advisory can be checked; say so loudly, check the rest.
  echo "WARNING: no advisory database on this machine (deploy/local/advisory-db.sh fetch): advisories NOT checked" >&2
  cargo deny --offline check licenses bans sources
fi

echo "==> checked SQL: .sqlx/ matches the queries and the migrations"
"$here/sqlx.sh" check

echo "==> Rust tests"
"$here/with-test-pg.sh" "$here/rust-tests.sh"

# The same tests on the days where dates go wrong, with every clock moved there
# (at-date.sh): New Year's Eve shortly before midnight in Berlin (a month's and a
# year's end, when UTC still shows the old day), and the two daylight-saving
# Sundays shortly before the clocks change.
for when in 2026-12-31T22:50:00Z 2026-10-25T00:50:00Z 2027-03-28T00:50:00Z; do
  echo "==> Rust tests at $when"
  "$here/at-date.sh" "$when" "$here/with-test-pg.sh" "$here/rust-tests.sh"
done

echo "==> smoke test of make run"
cargo build --quiet --bin mittler
MITTLER_BIN="$root/target/debug/mittler" python3 "$root/tests/smoke/make_run.py"

echo "==> schemathesis against /api/openapi.json"
MITTLER_BIN="$root/target/debug/mittler" python3 "$root/tests/fuzz/schemathesis_api.py"

echo "==> deployment files"
python3 "$root/tests/deploy/check.py"

echo "==> fault test: two replicas of each service, a 3-node NATS cluster, kills under load"
cargo build --quiet --bins
python3 "$root/tests/faults/run.py"
