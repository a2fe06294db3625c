#!/usr/bin/env bash
# End-to-end tests of the built desktop app: the real window under Xvfb, driven by tauri-driver
# (which runs WebKitWebDriver), in a private D-Bus session that stops with the run.
# Expects target/debug/fanout-app built with the UI embedded (the Makefile's `app` target).
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="$PWD/.tools"
if [[ ! -x "$TOOLS/bin/tauri-driver" ]]; then
  echo "Installing tauri-driver 2.1.0 into .tools/…"
  cargo install tauri-driver --locked --version 2.1.0 --root "$TOOLS" --quiet
fi
export TAURI_DRIVER="$TOOLS/bin/tauri-driver"
export FANOUT_APP="$PWD/target/debug/fanout-app"
# WebKit's sandbox and GPU paths are unavailable on a bare X server in a container.
export WEBKIT_DISABLE_COMPOSITING_MODE=1
export WEBKIT_DISABLE_DMABUF_RENDERER=1
exec xvfb-run -a -s "-screen 0 1920x1080x24" dbus-run-session -- \
  npx vitest run --config tests/e2e/vitest.config.ts
