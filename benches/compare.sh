#!/usr/bin/env bash
# Runs caiji beside the tool it is measured against, on the same data in the same run, and prints
# the ratios. Usage: bash benches/compare.sh [STUDENTS]   (default 100000)
# Needs sqlite3; hyperfine is used when present (apt-get install -y hyperfine), else a simple timer.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
cargo build --release --quiet
BIN=$PWD/target/release/caiji
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export CAIJI_HOME=$WORK CAIJI_LANG=en CAIJI_OPERATOR=bench

echo "== demo school of $N students"
/usr/bin/time -f "demo: %es, peak %MKB" "$BIN" demo --no-tui --students "$N" 2>&1 | tail -n 1

# Best of several runs, in seconds.
best_of() {
  local runs=$1; shift
  local best=
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    best=$(echo "$t1 $t0 ${best:-1e9}" | awk '{d=$1-$2; print (d<$3)?d:$3}')
  done
  echo "$best"
}

report() { # name caiji_seconds other_seconds other_name
  awk -v n="$1" -v a="$2" -v b="$3" -v o="$4" 'BEGIN { printf "%-40s caiji %.3fs   %s %.3fs   ratio %.2f\n", n, a, o, b, a/b }'
}

echo "== students list --format csv vs sqlite3 select *"
DB=$WORK/caiji.db
a=$(best_of 5 "$BIN" students list --format csv)
b=$(best_of 5 sqlite3 -csv "$DB" 'select * from students')
report "students list --format csv ($N)" "$a" "$b" "sqlite3"
/usr/bin/time -f "students list peak memory: %MKB" "$BIN" students list --format csv >/dev/null

echo "== report --by college vs the equivalent single sqlite3 GROUP BY"
GROUP_SQL="SELECT s.college, COUNT(*), COUNT(c.student_id), COUNT(a.student_id), COUNT(k.student_id),
  COUNT(CASE WHEN p.st = 'valid' THEN 1 END), COUNT(CASE WHEN p.st IS NOT NULL AND p.st <> 'valid' THEN 1 END)
  FROM students s
  LEFT JOIN (SELECT DISTINCT student_id FROM codes WHERE status = 'active') c ON c.student_id = s.id
  LEFT JOIN (SELECT student_id, MAX(session_id) AS session_id FROM assignments GROUP BY student_id) a ON a.student_id = s.id
  LEFT JOIN (SELECT DISTINCT student_id FROM checkins) k ON k.student_id = s.id
  LEFT JOIN (SELECT student_id, MAX(status) AS st FROM photos WHERE student_id IS NOT NULL GROUP BY student_id) p ON p.student_id = s.id
  WHERE s.withdrawn = 0 GROUP BY s.college ORDER BY s.college"
a=$(best_of 5 "$BIN" report --by college --format csv)
b=$(best_of 5 sqlite3 -csv "$DB" "$GROUP_SQL")
report "report --by college ($N)" "$a" "$b" "sqlite3"
