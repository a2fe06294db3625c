# The two commands of a fresh machine: `make run` and `make test`. Both install what is missing.
CARGO ?= cargo
FANOUT := target/debug/fanout

.PHONY: run test deps lint bench demo-data

deps:
	@bash scripts/ensure-deps.sh

## Build and open Fanout in demo mode (the sandbox stands in for Mastodon and Discord).
run: deps
	$(CARGO) build -p fanout-cli
	$(FANOUT) demo

## Every check and every test, as CI runs them.
test: deps lint
	$(CARGO) test --workspace --all-targets --no-fail-fast

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Criterion benchmarks (the README's figures come from here).
bench: deps
	$(CARGO) bench -p fanout-core --bench outbox
	$(CARGO) bench -p fanout-core --bench media
	bash bench/media.sh
