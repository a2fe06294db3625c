#!/usr/bin/env bash
# Photo pipeline benchmark: a 12 MP JPEG (4032×3024, EXIF Orientation=6, GPS) fitted to Instagram
# feed (1080×1350 JPEG q85, cropped to 4:5) and to Bluesky (≤ 1 MB), one image and a batch of 10,
# by `fanout prepare` beside vipsthumbnail (libvips) and ImageMagick in the same run. Reports CPU
# time per image, peak memory, output bytes and PSNR against a Lanczos reference made from the
# full-resolution decode. Usage: bench/media.sh [RUNS]   (default 10)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-10}

need=()
command -v vipsthumbnail >/dev/null || need+=(libvips-tools)
[[ -x /usr/bin/convert ]] || need+=(imagemagick)
command -v exiftool >/dev/null || need+=(libimage-exiftool-perl)
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
bash scripts/ensure-deps.sh
cargo build --release -q -p fanout-cli
fanout=$PWD/target/release/fanout

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# A photo-like test image: smooth structure plus sensor-like noise, saved as a camera would.
/usr/bin/convert -seed 7 -size 4032x3024 plasma:fractal -attenuate 0.35 +noise Gaussian -quality 92 base.jpg
exiftool -q -Orientation=6 -n -GPSLatitude=52.37 -GPSLatitudeRef=N -GPSLongitude=4.89 -GPSLongitudeRef=E \
  -o photo.jpg base.jpg
mkdir batch && for i in $(seq 1 10); do cp photo.jpg "batch/p$i.jpg"; done
# References: Lanczos from the full-resolution decode, no shrink-on-load.
/usr/bin/convert photo.jpg -auto-orient -filter Lanczos -resize '1080x1350^' -gravity center -extent 1080x1350 ref-ig.png
/usr/bin/convert photo.jpg -auto-orient -filter Lanczos -resize 1500x2000 ref-bs.png

python3 - "$runs" "$fanout" <<'PY'
import os, subprocess, sys, statistics, shutil, time

runs, fanout = int(sys.argv[1]), sys.argv[2]
cpus = os.cpu_count()

def run(cmd):
    """CPU seconds (user+sys), wall seconds, peak RSS MiB of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"failed: {' '.join(cmd)}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024

def psnr(out, ref):
    r = subprocess.run(["/usr/bin/compare", "-metric", "PSNR", out, ref, "null:"], capture_output=True, text=True)
    return float(r.stderr.split()[0])

def measure(name, cmd, out, ref, images=1):
    samples = [run(cmd) for _ in range(runs)]
    cpu = statistics.median(s[0] for s in samples) / images
    wall = statistics.median(s[1] for s in samples) / images
    peak = max(s[2] for s in samples)
    size = os.path.getsize(out)
    return dict(name=name, cpu=cpu * 1000, wall=wall * 1000, peak=peak, bytes=size, psnr=psnr(out, ref) if ref else None)

os.makedirs("fo", exist_ok=True)
rows = []
rows.append(("Instagram feed, 1 image", [
    measure("fanout", [fanout, "prepare", "photo.jpg", "--for", "instagram-feed", "--out", "fo"], "fo/photo.instagram-feed.jpg", "ref-ig.png"),
    measure("vipsthumbnail", ["vipsthumbnail", "photo.jpg", "--size", "1080x1350", "--smartcrop", "centre", "-o", "vips-ig.jpg[Q=85,strip]"], "vips-ig.jpg", "ref-ig.png"),
    measure("ImageMagick", ["/usr/bin/convert", "-define", "jpeg:size=2160x2700", "photo.jpg", "-auto-orient", "-resize", "1080x1350^", "-gravity", "center", "-extent", "1080x1350", "-strip", "-quality", "85", "im-ig.jpg"], "im-ig.jpg", "ref-ig.png"),
]))
rows.append(("Bluesky (≤ 1 MB), 1 image", [
    measure("fanout", [fanout, "prepare", "photo.jpg", "--for", "bluesky", "--out", "fo"], "fo/photo.bluesky.jpg", "ref-bs.png"),
    measure("vipsthumbnail", ["vipsthumbnail", "photo.jpg", "--size", "2000x2000", "-o", "vips-bs.jpg[Q=85,strip]"], "vips-bs.jpg", "ref-bs.png"),
    measure("ImageMagick", ["/usr/bin/convert", "-define", "jpeg:size=3000x4000", "photo.jpg", "-auto-orient", "-resize", "2000x2000", "-strip", "-quality", "85", "im-bs.jpg"], "im-bs.jpg", "ref-bs.png"),
]))
batch = [f"batch/p{i}.jpg" for i in range(1, 11)]
os.makedirs("fb", exist_ok=True)
os.makedirs("vb", exist_ok=True)
rows.append(("Instagram feed, batch of 10 (per image)", [
    measure("fanout", [fanout, "prepare", *batch, "--for", "instagram-feed", "--out", "fb"], "fb/p1.instagram-feed.jpg", "ref-ig.png", images=10),
    measure("vipsthumbnail", ["vipsthumbnail", *batch, "--size", "1080x1350", "--smartcrop", "centre", "-o", os.path.join(os.getcwd(), "vb", "%s.jpg[Q=85,strip]")], "vb/p1.jpg", "ref-ig.png", images=10),
    measure("ImageMagick", ["/usr/bin/mogrify", "-path", "vb", "-define", "jpeg:size=2160x2700", "-auto-orient", "-resize", "1080x1350^", "-gravity", "center", "-extent", "1080x1350", "-strip", "-quality", "85", *batch], "vb/p1.jpg", "ref-ig.png", images=10),
]))

print(f"\n{runs} runs each, median CPU (user+sys) per image, on {cpus} cores\n")
print("| case | tool | CPU ms/image | × vips CPU | wall ms/image | peak MiB | output bytes | PSNR dB |")
print("|---|---|---|---|---|---|---|---|")
for case, results in rows:
    vips = next(r for r in results if r["name"] == "vipsthumbnail")
    for r in results:
        print(f"| {case} | {r['name']} | {r['cpu']:.0f} | {r['cpu'] / vips['cpu']:.2f} | {r['wall']:.0f} | {r['peak']:.0f} | {r['bytes']:,} | {r['psnr']:.2f} |")
PY
