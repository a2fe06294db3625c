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
  echo "Fanout needs the Rust toolchain (cargo, rustc 1.88 or newer): https://rustup.rs" >&2
  exit 1
fi
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi
