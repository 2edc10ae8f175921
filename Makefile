# The commands people type. Scripts live in deploy/local/.
.PHONY: run test check test-at test-faults fuzz stop clean-data deps build bench bench-e2e lint fmt sqlx

run:          ## start NATS + PostgreSQL (unless NATS_URL / DATABASE_URL are set), migrate, serve on :8080
	@deploy/local/run.sh

test:         ## every test, against real NATS and PostgreSQL
	@deploy/local/test.sh

check:        ## the fast tier for the edit loop: formatting, clippy, the unit tests (no servers)
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	@if cargo nextest --version >/dev/null 2>&1; then cargo nextest run --workspace --lib; \
	else cargo test --workspace --lib; fi

test-at:      ## the Rust tests with every clock moved to DATE (an instant, e.g. DATE=2027-03-28T00:30:00Z)
	@test -n "$(DATE)" || { echo "usage: make test-at DATE=2027-03-28T00:30:00Z" >&2; exit 2; }
	@deploy/local/deps.sh --test
	@deploy/local/at-date.sh "$(DATE)" deploy/local/with-test-pg.sh deploy/local/rust-tests.sh

test-faults:  ## two replicas of every service on a 3-node NATS cluster; kills and restarts under load (also part of make test)
	cargo build --quiet --bins
	python3 tests/faults/run.py

fuzz:         ## schemathesis against the running API alone (also part of make test)
	cargo build --quiet --bin mittler
	MITTLER_BIN=target/debug/mittler python3 tests/fuzz/schemathesis_api.py

stop:         ## stop the private servers in .data (and a running make run)
	@deploy/local/stop.sh

clean-data: stop  ## delete .data (NATS store and PostgreSQL cluster, wherever pg.sh placed it)
	@deploy/local/pg.sh remove "$${MITTLER_DATA_DIR:-.data}/pg"
	rm -rf "$${MITTLER_DATA_DIR:-.data}"

deps:         ## install missing system packages, for running and for the tests
	@deploy/local/deps.sh --test

build:
	cargo build --workspace

bench:        ## benchmarks; figures go to BENCHMARKS.md
	@deploy/local/bench.sh

bench-e2e:    ## the whole system under load through its API (mittler-load); figures go to BENCHMARKS.md
	@deploy/local/bench_e2e.sh

lint:         ## formatting and clippy (part of make check and make test)
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

sqlx:         ## write .sqlx/ anew after a query or a migration changed (checked by make test)
	@deploy/local/sqlx.sh prepare
