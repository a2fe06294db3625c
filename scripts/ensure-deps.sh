#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for building and testing Fanout; quiet when all is there.
set -euo pipefail

missing=()
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
# libjpeg-turbo is built from source (static, with its SIMD code): cmake and nasm.
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v nasm >/dev/null 2>&1 || missing+=(nasm)
# The keychain test: a private D-Bus session with the Secret Service (gnome-keyring) and secret-tool.
command -v dbus-run-session >/dev/null 2>&1 || missing+=(dbus-daemon)
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing+=(gnome-keyring)
command -v secret-tool >/dev/null 2>&1 || missing+=(libsecret-tools)
# Video tests make real files and Fanout converts videos with ffmpeg where it is installed.
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
# HEIC photos are decoded by libheif's heif-convert; its heif-enc makes the test photo.
command -v heif-convert >/dev/null 2>&1 || missing+=(libheif-examples)

# The desktop app: WebKitGTK and the libraries Tauri links (tray, SVG icons, X input for shortcuts).
has_pc() { pkg-config --exists "$1" 2>/dev/null; }
has_pc webkit2gtk-4.1 || missing+=(libwebkit2gtk-4.1-dev)
has_pc ayatana-appindicator3-0.1 || missing+=(libayatana-appindicator3-dev)
has_pc librsvg-2.0 || missing+=(librsvg2-dev)
has_pc openssl || missing+=(libssl-dev)
[[ -e /usr/include/xdo.h ]] || missing+=(libxdo-dev)
command -v file >/dev/null 2>&1 || missing+=(file)
# End-to-end tests: a virtual X server, WebKit's WebDriver, D-Bus and the accessibility bus.
command -v xvfb-run >/dev/null 2>&1 || missing+=(xvfb)
command -v xauth >/dev/null 2>&1 || missing+=(xauth)
command -v WebKitWebDriver >/dev/null 2>&1 || missing+=(webkit2gtk-driver)
command -v dbus-launch >/dev/null 2>&1 || missing+=(dbus-x11)
[[ -e /usr/libexec/at-spi-bus-launcher ]] || missing+=(at-spi2-core)
# The tray test reads and clicks the tray menu over D-Bus with busctl.
command -v busctl >/dev/null 2>&1 || missing+=(systemd)

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

if ! command -v cargo >/dev/null 2>&1; then
  echo "Fanout needs the Rust toolchain (cargo, rustc 1.89 or newer): https://rustup.rs" >&2
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
