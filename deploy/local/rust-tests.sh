#!/usr/bin/env bash
# The Rust tests of the workspace, with cargo nextest where it is installed (else
# cargo test). Arguments go to the runner (a filter, for example). Needs a
# PostgreSQL for the tests' databases: run it under with-test-pg.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
if cargo nextest --version >/dev/null 2>&1; then
  exec cargo nextest run --workspace --no-fail-fast --failure-output final "$@"
else
  exec cargo test --workspace --no-fail-fast "$@"
fi
