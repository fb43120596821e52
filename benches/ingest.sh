#!/usr/bin/env bash
# Card ingest against vipsthumbnail, on the same 24-megapixel frames in the same run (docs/benchmarks.md,
# docs/ingest.md): `caiji photos ingest` (keyframes found, the chosen frames cropped 3:4,
# resized and encoded inside the byte range) against `vipsthumbnail` making 480×640 crops of
# every frame. Goal: ratio ≤ 0.5, peak memory under 300 MiB.
# Usage: bash benches/ingest.sh [STUDENTS] [RUNS]   (default 30 students, 5 runs each).
# Needs vipsthumbnail and vips (apt: libvips-tools) and exiftool (apt: libimage-exiftool-perl);
# hyperfine is used when installed.
set -euo pipefail
cd "$(dirname "$0")/.."
STUDENTS=${1:-30}
RUNS=${2:-5}
command -v vipsthumbnail >/dev/null || { echo "vipsthumbnail missing: apt-get install -y libvips-tools"; exit 1; }
# CAIJI_BIN: a caiji binary built before (skips the release build).
if [ -z "${CAIJI_BIN:-}" ]; then cargo build --release --quiet; fi
BIN=${CAIJI_BIN:-$PWD/target/release/caiji}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export CAIJI_HOME=$WORK/home CAIJI_LANG=en CAIJI_OPERATOR=bench
mkdir -p "$CAIJI_HOME"
CARD=$WORK/card OUT=$WORK/out VOUT=$WORK/vips

echo "== a school of $STUDENTS students, codes issued, all checked in at one session"
"$BIN" demo --no-tui --no-codes --students "$STUDENTS" --seed 7 >/dev/null 2>&1
"$BIN" key generate >/dev/null
"$BIN" codes issue --all >/dev/null
"$BIN" students list --format csv | tail -n +2 | cut -d, -f1 >"$WORK/numbers.txt"
while read -r no; do "$BIN" codes token "$no"; done <"$WORK/numbers.txt" >"$WORK/tokens.txt"
"$BIN" sessions add --title bench --location lab --start "2026-06-01 08:00" \
  --end "2026-06-01 18:00" --capacity 1000 >/dev/null
SESSION=$("$BIN" sessions list --format json | python3 -c 'import json,sys; print(max(s["id"] for s in json.load(sys.stdin)))')
"$BIN" sessions checkin "$SESSION" --allow-walk-in --format json <"$WORK/tokens.txt" >/dev/null

echo "== the card: per student a keyframe (the code turned and blurred, somewhere in the frame)"
echo "   and 1-3 portraits, 6000x4000, some with EXIF orientation 6 or 8 (vips + exiftool)"
command -v exiftool >/dev/null || { echo "exiftool missing: apt-get install -y libimage-exiftool-perl"; exit 1; }
"$BIN" codes export -o "$WORK/codes.csv" --png-dir "$WORK/qr" >/dev/null
G=$WORK/gen; mkdir -p "$G" "$CARD/DCIM"
# A frame's content: noise around a grey ramp (a camera frame compresses to a few MB).
vips gaussnoise "$G/n.v" 6000 4000 --mean 120 --sigma 6
vips gaussnoise "$G/m.v" 6000 4000 --mean 140 --sigma 5
vips bandjoin "$G/n.v $G/m.v $G/n.v" "$G/rgb.v"
vips cast "$G/rgb.v" "$G/frame.v" uchar
python3 - "$WORK/numbers.txt" "$G" "$CARD" "$WORK/qr" <<'PY'
import os, random, subprocess, sys
numbers, gen, card, qr = sys.argv[1:]
rng = random.Random(7)
n = 0
def path():
    folder = os.path.join(card, "DCIM", "%dCANON" % (100 + n // 40))
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, "IMG_%04d.JPG" % (n + 1))
def run(*args):
    subprocess.run(args, check=True)
tags = []
for no in [l.strip() for l in open(numbers) if l.strip()]:
    png = os.path.join(qr, no + ".png")
    if not os.path.exists(png):
        continue
    # the code about a quarter of the frame high, turned a little, softened
    big = os.path.join(gen, "qr.v")
    run("vips", "resize", png, big, "2.2", "--kernel", "nearest")
    run("vips", "similarity", big, os.path.join(gen, "rot.v"), "--angle", str(rng.uniform(-12, 12)),
        "--background", "255")
    run("vips", "gaussblur", os.path.join(gen, "rot.v"), os.path.join(gen, "soft.v"), "1.5")
    run("vips", "colourspace", os.path.join(gen, "soft.v"), os.path.join(gen, "soft3.v"), "srgb")
    run("vips", "cast", os.path.join(gen, "soft3.v"), os.path.join(gen, "soft8.v"), "uchar")
    x, y = rng.randint(600, 4200), rng.randint(400, 2600)
    out = path()
    run("vips", "insert", os.path.join(gen, "frame.v"), os.path.join(gen, "soft8.v"), out + "[Q=92]",
        str(x), str(y))
    tags.append((out, 1, n)); n += 1
    for _ in range(rng.randint(1, 3)):
        out = path()
        run("vips", "copy", os.path.join(gen, "frame.v"), out + "[Q=92]")
        tags.append((out, rng.choice([1, 1, 6, 8]), n)); n += 1
with open(os.path.join(gen, "exif.args"), "w") as f:
    for out, orientation, i in tags:
        f.write("-Orientation#=%d\n-DateTimeOriginal=2026:06:01 %02d:%02d:%02d\n"
                "-SubSecTimeOriginal=00\n-overwrite_original\n%s\n-execute\n"
                % (orientation, 9 + i // 3600, i // 60 % 60, i % 60, out))
subprocess.run(["exiftool", "-q", "-q", "-@", os.path.join(gen, "exif.args")], check=True, stdout=subprocess.DEVNULL)
print("%d frames on the card" % n)
PY
rm -rf "$G"
FRAMES=$(find "$CARD" -name '*.JPG' | wc -l)
echo "$(du -sh "$CARD" | cut -f1) on the card"
find "$CARD" -name '*.JPG' -print0 | xargs -0 cat >/dev/null   # warm the page cache
mkdir -p "$VOUT"

CAIJI_CMD="$BIN photos ingest $CARD --out $OUT --format json"
VIPS_CMD="vipsthumbnail --size 480x640 --smartcrop centre -o $VOUT/%s.jpg $(find "$CARD" -name '*.JPG' | sort | tr '\n' ' ')"

echo "== peak memory and keyframes"
/usr/bin/time -f '%M' -o "$WORK/caiji.rss" $CAIJI_CMD >"$WORK/report.json" || true
/usr/bin/time -f '%M' -o "$WORK/vips.rss" $VIPS_CMD
python3 - "$WORK/report.json" "$STUDENTS" "$WORK/caiji.rss" "$WORK/vips.rss" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2])
photos = [s for s in r["students"] if s["output"]]
sizes = [s["bytes"] for s in photos]
print(f"frames {r['frames']}, keyframes found {r['keyframes']}/{n} "
      f"(hit rate {r['keyframes'] / n:.0%}), photos {len(photos)}, unassigned {len(r['unassigned'])}")
if sizes:
    print(f"photo sizes {min(sizes)}..{max(sizes)} bytes")
print(f"peak memory: caiji {int(open(sys.argv[3]).read().split()[-1]) / 1024:.0f} MiB, "
      f"vipsthumbnail {int(open(sys.argv[4]).read().split()[-1]) / 1024:.0f} MiB")
PY

echo "== time ($FRAMES frames; $RUNS runs each, taking turns)"
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --runs "$RUNS" --export-json "$WORK/h.json" -i \
    -n caiji "$CAIJI_CMD" -n vipsthumbnail "$VIPS_CMD" >/dev/null
  python3 - "$WORK/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
c, v = r["caiji"], r["vipsthumbnail"]
print(f"caiji          mean {c['mean']:.2f} s  median {c['median']:.2f} s  min {c['min']:.2f} s")
print(f"vipsthumbnail  mean {v['mean']:.2f} s  median {v['median']:.2f} s  min {v['min']:.2f} s")
print(f"ratio (median) {c['median'] / v['median']:.2f}   ratio (best) {c['min'] / v['min']:.2f}   goal ≤ 0.50")
PY
else
  for i in $(seq "$RUNS"); do
    t0=$(date +%s.%N); $CAIJI_CMD >/dev/null || true; t1=$(date +%s.%N)
    $VIPS_CMD; t2=$(date +%s.%N)
    echo "$t0 $t1 $t2" | awk '{printf "caiji %.2f s  vipsthumbnail %.2f s  ratio %.2f\n", $2-$1, $3-$2, ($2-$1)/($3-$2)}'
  done
fi
