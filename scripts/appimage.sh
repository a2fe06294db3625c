#!/usr/bin/env bash
# Packs the release build's .deb contents into an AppImage (`make bundle` runs it after Tauri has
# made the .deb): an AppDir with Fanout's binary, its desktop entry and icons and an AppRun,
# squashed with squashfs-tools behind the AppImage type-2 runtime.
#
# Tauri's own AppImage step downloads linuxdeploy and its plugins from GitHub while building,
# which this build machine cannot reach. The runtime here is AppImageKit's, as embedded in the
# `appimage` crate on crates.io, pinned by its SHA-256. linuxdeploy would also copy WebKitGTK and
# GTK into the image; this AppImage does not, so like the .deb it runs where webkit2gtk-4.1 is
# installed (and, being an AppImage, libfuse2 — or run it with --appimage-extract-and-run).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' src-tauri/tauri.conf.json | head -1)
DEB_DATA="target/release/bundle/deb/Fanout_${VERSION}_amd64/data"
OUT="target/release/bundle/appimage"
IMAGE="$OUT/Fanout_${VERSION}_amd64.AppImage"
RUNTIME=".tools/appimage-runtime-x86_64"
RUNTIME_CRATE="https://static.crates.io/crates/appimage/appimage-0.4.0.crate"
RUNTIME_SHA256=328e0d745c5c6817048c27bc3e8314871703f8f47ffa81a37cb06cd95a94b323

[[ -x "$DEB_DATA/usr/bin/fanout-app" ]] || {
  echo "no $DEB_DATA/usr/bin/fanout-app: build the .deb first (make bundle does)" >&2
  exit 1
}
if ! command -v mksquashfs >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing squashfs-tools…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq squashfs-tools >/dev/null
  else
    echo "the AppImage needs mksquashfs: install squashfs-tools, then run make bundle again" >&2
    exit 1
  fi
fi

if [[ ! -f "$RUNTIME" ]] || ! echo "$RUNTIME_SHA256  $RUNTIME" | sha256sum --check --status; then
  echo "Fetching the AppImage runtime from crates.io…"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  curl -sSfL "$RUNTIME_CRATE" | tar xz -C "$work" appimage-0.4.0/assets/runtime-x86_64
  mkdir -p "$(dirname "$RUNTIME")"
  mv "$work/appimage-0.4.0/assets/runtime-x86_64" "$RUNTIME"
  echo "$RUNTIME_SHA256  $RUNTIME" | sha256sum --check --status || {
    echo "the AppImage runtime from $RUNTIME_CRATE is not the expected one (SHA-256 differs)" >&2
    rm -f "$RUNTIME"
    exit 1
  }
fi

appdir="$OUT/Fanout.AppDir"
rm -rf "$appdir" "$IMAGE"
mkdir -p "$appdir"
cp -a "$DEB_DATA/usr" "$appdir/usr"
cp "$appdir/usr/share/applications/Fanout.desktop" "$appdir/Fanout.desktop"
cp "$appdir/usr/share/icons/hicolor/128x128/apps/fanout-app.png" "$appdir/fanout-app.png"
ln -s fanout-app.png "$appdir/.DirIcon"
cat >"$appdir/AppRun" <<'EOF'
#!/bin/sh
# Starts Fanout from wherever the AppImage is mounted (or extracted).
HERE="$(dirname "$(readlink -f "$0")")"
exec "$HERE/usr/bin/fanout-app" "$@"
EOF
chmod 755 "$appdir/AppRun"

squashfs="$OUT/Fanout.squashfs"
mksquashfs "$appdir" "$squashfs" -root-owned -noappend -quiet -comp gzip >/dev/null
cat "$RUNTIME" "$squashfs" >"$IMAGE"
chmod 755 "$IMAGE"
rm -f "$squashfs"

# The image must open: extract it (no FUSE needed) and compare with the AppDir.
check=$(mktemp -d)
(cd "$check" && "$OLDPWD/$IMAGE" --appimage-extract >/dev/null)
diff -r --no-dereference "$appdir" "$check/squashfs-root" >/dev/null || {
  echo "$IMAGE does not extract to what was packed" >&2
  exit 1
}
rm -rf "$check"
echo "$IMAGE ($(du -h "$IMAGE" | cut -f1))"
