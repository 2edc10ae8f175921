#!/usr/bin/env bash
# The RustSec advisory database that `cargo deny check advisories` reads, in
# cargo-deny's own place ($CARGO_HOME/advisory-dbs).
#   advisory-db.sh fetch   fetch or update it: from its upstream, or, where that
#                          cannot be reached, from a git copy named by
#                          MITTLER_ADVISORY_DB_GIT (a path or URL)
#   advisory-db.sh have    exit 0 when a copy is there
set -euo pipefail
home=${CARGO_HOME:-$HOME/.cargo}
# cargo-deny's directory for the default database URL.
db="$home/advisory-dbs/advisory-db-3157b0e258782691"

case "${1:-}" in
  have)
    [ -d "$db/crates" ]
    ;;
  fetch)
    before=$(git -C "$db" rev-parse HEAD 2>/dev/null || true)
    timeout 120 cargo deny fetch db >/dev/null 2>&1 || true
    after=$(git -C "$db" rev-parse HEAD 2>/dev/null || true)
    if [ -d "$db/crates" ] && [ "$after" != "$before" ]; then
      echo "advisory database: fetched"
    elif [ -n "${MITTLER_ADVISORY_DB_GIT:-}" ]; then
      if [ -d "$db/.git" ]; then
        git -C "$db" pull -q --ff-only "$MITTLER_ADVISORY_DB_GIT" HEAD
      else
        mkdir -p "$(dirname "$db")"
        git clone -q "$MITTLER_ADVISORY_DB_GIT" "$db"
      fi
      echo "advisory database: copied from $MITTLER_ADVISORY_DB_GIT"
    elif [ -d "$db/crates" ]; then
      echo "advisory database: upstream unreachable; using the copy of $(git -C "$db" log -1 --format=%cs 2>/dev/null || echo '?')" >&2
    else
      echo "advisory database: upstream unreachable and no copy here (set MITTLER_ADVISORY_DB_GIT)" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 fetch|have" >&2
    exit 2
    ;;
esac
