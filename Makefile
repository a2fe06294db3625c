# The two commands of a fresh machine: `make run` and `make test`. Both install what is missing.
CARGO ?= cargo
APP := target/debug/fanout-app

.PHONY: run test deps ui app lint test-rust test-ui test-e2e screenshots bench bundle cli-demo

deps:
	@bash scripts/ensure-deps.sh

# The lock file lists every system's optional packages (esbuild, rollup and the Tauri CLI ship one
# per system), so `npm ci` installs exactly it on any of them.
node_modules/.fanout-installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The Bluesky tests' PDS (@atproto/dev-env) has its own packages, kept out of the app's.
tests/pds/node_modules/.fanout-installed: tests/pds/package.json tests/pds/package-lock.json
	npm ci --prefix tests/pds --no-audit --no-fund --loglevel=error
	@touch $@

## The web UI, built into ui/dist (the app embeds it).
ui: deps node_modules/.fanout-installed
	npm run build

## The desktop app (debug), with the UI embedded.
app: ui
	$(CARGO) build -p fanout-app -p fanout-cli

## Build and open Fanout in demo mode: demo accounts served by the sandbox inside the app.
run: app
	FANOUT_DEMO=1 $(APP)

## The command-line demo (no window needed).
cli-demo: deps
	$(CARGO) run -p fanout-cli -- demo

## Every check and every test, as CI runs them.
test: lint test-rust test-ui test-e2e

lint: ui
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --features fanout-core/real-servers -- -D warnings
	npm run check

# `real-servers` adds the tests against a real PDS, Synapse and moto's S3 server (the `servers`
# test binary); without one of them those tests fail, they are not skipped.
test-rust: ui tests/pds/node_modules/.fanout-installed
	$(CARGO) test --workspace --all-targets --features fanout-core/real-servers --no-fail-fast

test-ui: ui
	npx vitest run

# The binaries the e2e tests drive (the app, the CLI) are built as `cargo test` builds them — the
# same features, so nothing is compiled a second time after test-rust.
test-e2e: ui
	$(CARGO) test --workspace --all-targets --features fanout-core/real-servers --no-run
	bash scripts/e2e.sh

## The README's pictures: the e2e run's screenshots (target/e2e-screenshots/) copied into docs/.
screenshots: test-e2e
	cp target/e2e-screenshots/*.png docs/screenshots/

## Criterion benchmarks and the comparison scripts (the README's figures come from here).
bench: app
	$(CARGO) bench -p fanout-core --bench outbox
	$(CARGO) bench -p fanout-core --bench media
	bash bench/media.sh
	bash bench/app.sh

## Linux packages (.deb and AppImage) of a release build. The AppImage is packed by
## scripts/appimage.sh: Tauri's own AppImage step fetches linuxdeploy from GitHub while building
## (the desktop workflow in .github/ uses it there).
bundle: ui
	npx tauri build --bundles deb
	bash scripts/appimage.sh
