#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for building and testing Fanout; quiet when all is there.
set -euo pipefail

missing=()
# need PROGRAM PACKAGE: PACKAGE provides PROGRAM (a name on PATH, or an absolute path).
need() {
  if [[ $1 == /* ]]; then [[ -x $1 ]] && return; else command -v "$1" >/dev/null 2>&1 && return; fi
  [[ " ${missing[*]} " == *" $2 "* ]] || missing+=("$2")
}
has_pc() { pkg-config --exists "$1" 2>/dev/null; }

need cc build-essential
need pkg-config pkg-config
# libjpeg-turbo is built from source (static, with its SIMD code): cmake and nasm.
need cmake cmake
need nasm nasm
# The keychain test: a private D-Bus session with the Secret Service (gnome-keyring) and secret-tool.
need dbus-daemon dbus-daemon
need dbus-run-session dbus-bin
need gnome-keyring-daemon gnome-keyring
need secret-tool libsecret-tools
# Video tests make real files and Fanout converts videos with ffmpeg where it is installed.
need ffmpeg ffmpeg
# HEIC photos are decoded by libheif's heif-convert; its heif-enc makes the test photo.
need heif-convert libheif-examples
need heif-enc libheif-examples
# `make bundle` fetches the AppImage runtime (curl) and squashes the AppImage (mksquashfs).
need curl curl
need mksquashfs squashfs-tools
need file file

# The desktop app: WebKitGTK and the libraries Tauri links (tray, SVG icons, X input for shortcuts).
# (Without pkg-config each check fails, so all four are asked for.)
has_pc webkit2gtk-4.1 || missing+=(libwebkit2gtk-4.1-dev)
has_pc ayatana-appindicator3-0.1 || missing+=(libayatana-appindicator3-dev)
has_pc librsvg-2.0 || missing+=(librsvg2-dev)
has_pc openssl || missing+=(libssl-dev)
[[ -e /usr/include/xdo.h ]] || missing+=(libxdo-dev)
# End-to-end tests: a virtual X server, WebKit's WebDriver, D-Bus and the accessibility bus.
need xvfb-run xvfb
need xauth xauth
need WebKitWebDriver webkit2gtk-driver
need dbus-launch dbus-x11
need /usr/libexec/at-spi-bus-launcher at-spi2-core
# The e2e finds the app's windows and sends keys with xdotool, photographs them with ImageMagick's
# import, and listens for notifications with dbus-monitor; the tray test reads and clicks the tray
# menu over D-Bus with busctl. bench/app.sh walks the app's processes with pgrep.
need xdotool xdotool
need /usr/bin/import imagemagick
need dbus-monitor dbus-bin
need busctl systemd
need pgrep procps
need ps procps
# Scripts and tests use the base tools too (grep in bench/app.sh, ls in a CLI test).
need grep grep
need ls coreutils
# A CLI test fills a small tmpfs in a mount namespace of its own.
need unshare util-linux
need mount mount
# The Nostr tests run a real relay, nostr-rs-relay from crates.io (installed below); building it
# needs protoc.
command -v nostr-rs-relay >/dev/null 2>&1 || need protoc protobuf-compiler

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Fanout needs: ${missing[*]} — install them with your package manager, then run make again." >&2
    exit 1
  fi
  echo "Installing ${missing[*]}…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The oldest Rust the locked dependencies build with is the workspace's rust-version.
msrv=$(sed -n 's/^rust-version = "\([0-9.]*\)"/\1/p' "$(dirname "$0")/../Cargo.toml")
if ! command -v cargo >/dev/null 2>&1 || ! command -v rustc >/dev/null 2>&1; then
  echo "Fanout needs the Rust toolchain (cargo, rustc $msrv or newer): https://rustup.rs" >&2
  exit 1
fi
rustc_version=$(rustc --version | awk '{print $2}')
if [[ $(printf '%s\n%s\n' "$msrv" "${rustc_version%%-*}" | sort -V | head -1) != "$msrv" ]]; then
  echo "Fanout needs rustc $msrv or newer (its locked dependencies do), and this is rustc $rustc_version: run 'rustup update stable'" >&2
  exit 1
fi
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "Fanout's desktop UI needs Node.js 20.19 or newer with npm: https://nodejs.org" >&2
  exit 1
fi
# The media-host tests run moto's S3 server, an S3-compatible stand-in, from PyPI.
if ! python3 -c "import moto.server, flask, werkzeug" >/dev/null 2>&1; then
  if ! command -v pip3 >/dev/null 2>&1 && ! python3 -m pip --version >/dev/null 2>&1; then
    echo "Fanout's tests need Python 3 with pip (for moto's S3 server): install python3-pip" >&2
    exit 1
  fi
  echo "Installing moto's S3 server (tests only)…"
  python3 -m pip install --quiet 'moto[server]==5.2.1'
fi
# The Matrix tests run a real homeserver, Synapse, from PyPI (SQLite, loopback only).
if ! python3 -c "import synapse._scripts.register_new_matrix_user" >/dev/null 2>&1; then
  echo "Installing the Synapse Matrix homeserver (tests only)…"
  python3 -m pip install --quiet 'matrix-synapse==1.163.2'
fi
# The Nostr tests' relay. Without --locked: its lock file pins a `time` that no longer builds.
if ! command -v nostr-rs-relay >/dev/null 2>&1; then
  echo "Installing the nostr-rs-relay Nostr relay (tests only; a few minutes)…"
  cargo install --quiet nostr-rs-relay --version 0.8.12
fi
