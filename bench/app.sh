#!/usr/bin/env bash
# The desktop app's cold start (process start → the window's UI makes its first call) and its
# idle memory (PSS of the app plus its WebKit processes, after 20 s idle in demo mode), over RUNS
# launches under Xvfb. Usage: bench/app.sh [path/to/fanout-app] — default: the release build,
# made with `cargo build --release -p fanout-app` after `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
APP="${1:-target/release/fanout-app}"
RUNS="${RUNS:-5}"
[[ -x "$APP" ]] || { echo "no app at $APP: build it with 'npm run build && cargo build --release -p fanout-app'" >&2; exit 1; }

run_once() {
  local dir log pid ready rss_kib
  dir=$(mktemp -d)
  log="$dir/app.log"
  FANOUT_DATA_DIR="$dir" FANOUT_DEMO=1 FANOUT_SECRET_STORE=file WEBKIT_DISABLE_COMPOSITING_MODE=1 \
    "$APP" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    ready=$(grep -o 'interactive after [0-9]* ms' "$log" | grep -o '[0-9]*' || true)
    [[ -n "$ready" ]] && break
    sleep 0.05
  done
  sleep 20
  # The app and every process under it (WebKit's web and network processes), as proportional set
  # size: shared libraries are counted once across them, not once per process.
  local pids
  pids="$pid $(pgrep -P "$pid" | tr '\n' ' ')"
  for c in $(pgrep -P "$pid"); do pids="$pids $(pgrep -P "$c" | tr '\n' ' ')"; done
  rss_kib=0
  for p in $pids; do
    rss_kib=$((rss_kib + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  echo "${ready:-NA} $rss_kib"
}

export -f run_once
results=()
for i in $(seq 1 "$RUNS"); do
  results+=("$(xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- bash -c "APP='$APP'; $(declare -f run_once); run_once" 2>/dev/null | tail -1)")
done
printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin if l.strip()]
starts = [int(a) for a, _ in rows if a != "NA"]
mem = [int(b) / 1024 for _, b in rows]
print(f"runs: {len(rows)}")
print(f"cold start to interactive: median {statistics.median(starts):.0f} ms (min {min(starts)}, max {max(starts)})")
print(f"idle memory (PSS), app + WebKit processes: median {statistics.median(mem):.0f} MiB (min {min(mem):.0f}, max {max(mem):.0f})")
'
