#!/usr/bin/env bash
# The console's speed targets (docs/benchmarks.md), measured in one run on this machine:
#   1. per-keystroke search over the roster, in process (cargo bench --bench search), against
#      fuzzy-matcher's SkimMatcherV2 scanning the same students;
#   2. the first frame, the first screen of rows (target: 150 ms) and the roster frame on a
#      100,000-student SQLite database, median and fastest of several runs, with peak memory
#      (cargo bench --bench first_frame), and the real binary in a tmux terminal;
#   3. `caiji students list --search Q --format csv` against `fzf --filter Q` over the same rows
#      written as text (hyperfine when installed: apt-get install -y fzf hyperfine).
# Usage: bash benches/console.sh [STUDENTS] [--cli-only]   (default 100000; --cli-only: part 3 alone)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
CLI_ONLY=${2:-}
cargo build --release --quiet
[ "$CLI_ONLY" = --cli-only ] || cargo bench --no-run --quiet --bench search --bench first_frame 2>/dev/null || cargo bench --no-run --bench search --bench first_frame
BIN=$PWD/target/release/caiji
WORK=$(mktemp -d)
SOCKET="caiji-bench-$$"
cleanup() { tmux -L "$SOCKET" kill-server 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
export CAIJI_HOME=$WORK CAIJI_OPERATOR=bench CAIJI_LANG=en

if [ "$CLI_ONLY" != --cli-only ]; then
echo "== 1. search per keystroke ($N students, in process)"
cargo bench --quiet --bench search -- "$N" 2>/dev/null | grep -v '^$'

echo
echo "== 2. first frame ($N students, in process)"
cargo bench --quiet --bench first_frame -- "$N" 2>/dev/null | grep -v '^$'

fi

echo
echo "== demo school of $N students for the command-line and terminal runs"
"$BIN" demo --no-tui --students "$N" >/dev/null 2>&1
"$BIN" students list --format csv > "$WORK/rows.csv"
echo "rows written as text for fzf: $(($(wc -l < "$WORK/rows.csv") - 1))"

echo
echo "== 2b. the real binary in a 120x40 tmux terminal"
if [ "$CLI_ONLY" = --cli-only ]; then
  echo "skipped (--cli-only)"
elif command -v tmux >/dev/null; then
  start=$(date +%s%N)
  tmux -L "$SOCKET" new-session -d -s c -x 120 -y 40 "exec $BIN"
  pid=$(tmux -L "$SOCKET" display -p -t c '#{pane_pid}')
  first=""; rows=""; roster=""
  for _ in $(seq 4000); do
    screen=$(tmux -L "$SOCKET" capture-pane -p -t c 2>/dev/null || true)
    now=$(date +%s%N)
    [[ -z "$first" && "$screen" == *"caiji"* ]] && first=$(( (now - start) / 1000000 ))
    # the list's title reads "1/…" over the first page and "1/N" once the roster is in
    [[ -z "$rows" && "$screen" == *" 1/"* ]] && rows=$(( (now - start) / 1000000 ))
    if [[ "$screen" == *"$N/$N"* ]]; then roster=$(( (now - start) / 1000000 )); break; fi
    sleep 0.005
  done
  hwm=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$pid/status" 2>/dev/null || echo "?")
  echo "first frame seen after ${first:-?} ms, first screen of rows after ${rows:-?} ms, roster after ${roster:-?} ms"
  echo "  (from starting the process, tmux polling, ±10 ms); peak memory ${hwm} MiB"
  tmux -L "$SOCKET" send-keys -t c q
else
  echo "tmux not installed: skipped"
fi

echo
echo "== 3. students list --search Q --format csv  vs  fzf --filter Q (same rows as text)"
if ! command -v fzf >/dev/null; then
  echo "fzf not installed (apt-get install -y fzf hyperfine): skipped"
  exit 0
fi
# queries staff type: initials, full pinyin, a 学号 prefix, the start of a college's name
q_no=$(sed -n 2p "$WORK/rows.csv" | cut -c1-6)
q_college=$(sed -n 2p "$WORK/rows.csv" | python3 -c 'import sys; print(sys.stdin.read().split(",")[4][:3])')
for q in zw zhangwei "$q_no" "$q_college"; do
  if command -v hyperfine >/dev/null; then
    # both through the same shell, so each pays the same start-up; fzf exits 1 when nothing matches
    hyperfine --style none --ignore-failure --warmup 2 --runs 10 --export-json "$WORK/h.json" \
      "$BIN students list --search '$q' --format csv > /dev/null" \
      "fzf --filter '$q' < '$WORK/rows.csv' > /dev/null" >/dev/null 2>&1
    python3 - "$WORK/h.json" "$q" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
c, f = r[0], r[1]
print(f"{sys.argv[2]:<12} caiji {c['mean']*1000:7.1f} ± {c['stddev']*1000:4.1f} ms   fzf {f['mean']*1000:7.1f} ± {f['stddev']*1000:4.1f} ms   caiji/fzf {c['mean']/f['mean']:.2f}")
PY
  else
    t0=$(date +%s%N); "$BIN" students list --search "$q" --format csv >/dev/null; t1=$(date +%s%N)
    fzf --filter "$q" < "$WORK/rows.csv" >/dev/null; t2=$(date +%s%N)
    echo "$q: caiji $(( (t1 - t0) / 1000000 )) ms, fzf $(( (t2 - t1) / 1000000 )) ms"
  fi
  echo "             matches: caiji $(( $("$BIN" students list --search "$q" --format csv | wc -l) - 1 )), fzf $(fzf --filter "$q" < "$WORK/rows.csv" | wc -l)"
done
