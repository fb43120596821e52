#!/usr/bin/env bash
# Import speed (docs/benchmarks.md): a 100,000-row roster CSV imported with `caiji import` (every
# row validated: ID check characters, birth dates, names, levels, duplicate 学号) into an empty
# SQLite roster three ways — a database file that does not exist yet, one just made by
# `caiji init`, and a demo school whose students were removed (`caiji demo`, then its students
# and what hangs on them deleted) — against `sqlite3`'s own `.import` of the same file into a
# plain table. Whole processes, same run, same machine, N runs each, taking turns so that a busy
# spell of a shared machine slows all alike. Prints the best and the median time of each and
# their ratios to sqlite3's, caiji's peak memory, and the PostgreSQL and MariaDB import times
# when those servers answer.
#
#   benches/import.sh [ROWS] [RUNS]        (defaults: 100000 rows, 7 runs)
#
# Server URLs: TEST_POSTGRES_URL / TEST_MYSQL_URL (defaults: the local CI servers).
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${1:-100000}
RUNS=${2:-7}
PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
MY_URL=${TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}

command -v sqlite3 >/dev/null || { echo "sqlite3 is needed for the comparison (apt-get install sqlite3)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed for peak memory (apt-get install time)" >&2; exit 1; }

cargo build --release --quiet
CAIJI=$PWD/target/release/caiji
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CSV=$WORK/roster.csv

# A valid roster: real region codes, birth dates, ISO 7064 MOD 11-2 check characters, CJK names
# (some with ·), ten colleges; the way a 教务处 export looks.
awk -v n="$ROWS" 'BEGIN {
  split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", W, " ")
  CHECK = "10X98765432"
  nr = split("110105 310104 440106 510107 420111 330106 320102 370102", REGION, " ")
  ns = split("张 王 李 赵 刘 陈 杨 黄 周 吴 徐 孙 马 朱 胡 欧阳 司马 上官", SUR, " ")
  ng = split("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 子涵 浩然 一诺 欣怡", GIVEN, " ")
  nc = split("计算机学院 文学院 数学学院 物理学院 化学学院 外国语学院 经济学院 法学院 医学院 艺术学院", COLLEGE, " ")
  nm = split("软件工程 汉语言文学 应用数学 应用物理 应用化学 英语 金融学 法学 临床医学 视觉传达设计", MAJOR, " ")
  nl = split("本科 本科 本科 硕士研究生 博士研究生 专科", LEVEL, " ")
  print "学号,姓名,证件号码,学院,专业,班级,层次,辅导员,毕业年份,性别,手机"
  for (i = 0; i < n; i++) {
    # one ID number per student (a roster refuses one under two 学号): the sequence is i % 1000,
    # the birth date a day further for every thousand students
    k = int(i / 1000)
    birth = sprintf("%04d%02d%02d", 2000 + int(k / 336) % 5, 1 + int(k / 28) % 12, 1 + k % 28)
    f17 = sprintf("%s%s%03d", REGION[1 + i % nr], birth, i % 1000)
    s = 0
    for (k = 1; k <= 17; k++) s += substr(f17, k, 1) * W[k]
    id = f17 substr(CHECK, s % 11 + 1, 1)
    name = SUR[1 + i % ns] GIVEN[1 + int(i / ns) % ng]
    if (i % 97 == 0) name = "买买提·" GIVEN[1 + i % ng]
    c = 1 + int(i / 1000) % nc
    printf "%d,%s,%s,%s,%s,%s%02d班,%s,%s老师,2026,%s,1%010d\n", 2022000000 + i, name, id, COLLEGE[c], MAJOR[c], MAJOR[c], i % 30 + 1, LEVEL[1 + i % nl], SUR[1 + (i + 3) % ns], (i % 2 ? "男" : "女"), 3800000000 + i
  }
}' > "$CSV"
printf 'roster: %s rows, %s bytes\n' "$ROWS" "$(wc -c < "$CSV")"

now() { date +%s.%N; }
elapsed=
timed() { # timed setup-command timed-command...: sets $elapsed (seconds)
  local setup=$1; shift
  eval "$setup"
  local t0 t1
  t0=$(now); "$@" >/dev/null 2>"$WORK/stderr" || { [ $? -eq 3 ] || { cat "$WORK/stderr" >&2; exit 1; }; }; t1=$(now)
  elapsed=$(echo "$t1 - $t0" | bc -l)
}
best=
best_of() { # best_of RUNS setup-command timed-command...: sets $best (seconds)
  local runs=$1; shift
  best=
  for _ in $(seq "$runs"); do
    timed "$@"
    if [ -z "$best" ] || [ "$(echo "$elapsed < $best" | bc -l)" = 1 ]; then best=$elapsed; fi
  done
}
best_and_median() { # best_and_median TIMES...: prints "best median"
  printf '%s\n' "$@" | sort -g | awk '{ t[NR] = $1 } END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; print t[1], m }'
}

export CAIJI_LANG=en CAIJI_OPERATOR=bench
unset CAIJI_DATABASE_URL DATABASE_URL

# The empty rosters to import into, made once and copied before each run.
rm -rf "$WORK/init"; mkdir "$WORK/init"
CAIJI_HOME=$WORK/init "$CAIJI" init >/dev/null
rm -rf "$WORK/demo"; mkdir "$WORK/demo"
CAIJI_HOME=$WORK/demo "$CAIJI" demo --no-tui --no-codes --students 3000 >/dev/null 2>&1
sqlite3 "$WORK/demo/caiji.db" 'DELETE FROM checkins; DELETE FROM assignments; DELETE FROM photos;
  DELETE FROM codes; DELETE FROM students;'
[ "$(sqlite3 "$WORK/demo/caiji.db" 'SELECT COUNT(*) FROM sessions')" -gt 0 ] || { echo "the demo made no sessions" >&2; exit 1; }
into() { # into FOLDER: a caiji home holding a copy of FOLDER's database (none for "new")
  rm -rf "$WORK/home"; mkdir "$WORK/home"
  [ "$1" = new ] || cp "$WORK/$1/caiji.db" "$WORK/home/caiji.db"
  export CAIJI_HOME=$WORK/home
}

sqlite_times=() new_times=() init_times=() demo_times=()
for _ in $(seq "$RUNS"); do
  timed 'rm -rf "$WORK/sq.db"' sqlite3 "$WORK/sq.db" ".import --csv $CSV t"
  sqlite_times+=("$elapsed")
  timed 'into new' "$CAIJI" import "$CSV" --format json
  new_times+=("$elapsed")
  timed 'into init' "$CAIJI" import "$CSV" --format json
  init_times+=("$elapsed")
  timed 'into demo' "$CAIJI" import "$CSV" --format json
  demo_times+=("$elapsed")
done
[ "$(sqlite3 "$WORK/sq.db" 'SELECT COUNT(*) FROM t')" = "$ROWS" ] || { echo "sqlite3 .import loaded the wrong row count" >&2; exit 1; }
[ "$(sqlite3 "$WORK/home/caiji.db" 'SELECT COUNT(*) FROM students')" = "$ROWS" ] || { echo "caiji did not store every row" >&2; exit 1; }
summary=$(CAIJI_HOME=$WORK/home "$CAIJI" import "$CSV" --format json || true)
case "$summary" in
  *"\"unchanged\":$ROWS,"*'"rejected":[]'*) ;;
  *) echo "caiji did not import every row: ${summary:0:300}" >&2; exit 1 ;;
esac

rm -rf "$WORK/home"; mkdir "$WORK/home"
peak_kib=$(CAIJI_HOME=$WORK/home /usr/bin/time -f %M "$CAIJI" import "$CSV" --format json 2>&1 >/dev/null | tail -n1)

# For context, not the target: sqlite3 storing the same rows in caiji's own students table (its
# UNIQUE 学号, CHECK rules, two secondary indexes, WAL), in one transaction as caiji does:
# `.import` into a temporary table, then one INSERT … SELECT. This is SQLite's own cost of keeping
# the roster the way caiji keeps it, without any validation.
rm -rf "$WORK/schema"; mkdir "$WORK/schema"
CAIJI_HOME=$WORK/schema "$CAIJI" init >/dev/null 2>&1
cp "$WORK/schema/caiji.db" "$WORK/schema.db"
cat > "$WORK/into_schema.sql" <<SQL
CREATE TEMP TABLE t (a, b, c, d, e, f, g, h, i, j, k);
.import --csv --skip 1 $CSV t
BEGIN IMMEDIATE;
INSERT INTO students (student_no, name, id_type, id_number, college, major, class_name, level, counselor,
                      cohort, gender, phone, withdrawn, created_at, updated_at)
SELECT a, b, 'resident_id', c, d, e, f, 'bachelor', h, CAST(i AS INTEGER), j, k, 0,
       '2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM t;
COMMIT;
SQL
best_of "$RUNS" 'cp "$WORK/schema.db" "$WORK/sq2.db"; rm -f "$WORK/sq2.db-wal" "$WORK/sq2.db-shm"' sqlite3 "$WORK/sq2.db" ".read $WORK/into_schema.sql"
schema_s=$best
[ "$(sqlite3 "$WORK/sq2.db" 'SELECT COUNT(*) FROM students')" = "$ROWS" ] || { echo "sqlite3 into caiji's schema loaded the wrong row count" >&2; exit 1; }

read -r sqlite_s sqlite_median <<< "$(best_and_median "${sqlite_times[@]}")"
printf '\nsqlite3 .import (plain table, no checks): best %6.3f s, median %6.3f s\n' "$sqlite_s" "$sqlite_median"
printf "sqlite3 into caiji's students table (no validation, for context): best %6.3f s\n" "$schema_s"
for way in new init demo; do
  declare -n times="${way}_times"
  read -r best_s median_s <<< "$(best_and_median "${times[@]}")"
  case $way in
    new) what='a new file' ;;
    init) what='the database of caiji init' ;;
    demo) what='a demo emptied of students' ;;
  esac
  printf 'caiji import into %s: best %6.3f s, median %6.3f s; caiji / sqlite3: %.2fx best, %.2fx median (target <= 1.2x)\n' \
    "$what" "$best_s" "$median_s" "$(echo "$best_s / $sqlite_s" | bc -l)" "$(echo "$median_s / $sqlite_median" | bc -l)"
done
printf 'caiji peak memory: %.1f MiB (limit 100 MiB) %s\n' "$(echo "$peak_kib / 1024" | bc -l)" \
  "$([ "$peak_kib" -lt 102400 ] && echo ok || echo OVER)"

# Server backends: a fresh database per run (caiji creates it), dropped afterwards.
server_run() { # server_run NAME URL DROP-COMMAND
  local name=$1 url=$2 drop=$3 db
  if ! "$CAIJI" --database-url "$url" init >/dev/null 2>&1; then
    printf '%s: not reachable at %s, skipped\n' "$name" "$url"; return
  fi
  best=
  for i in $(seq "$RUNS"); do
    db="caiji_bench_$$_$i"
    local target=${url%/*}/$db
    local t0 t1 elapsed
    t0=$(now); "$CAIJI" --database-url "$target" import "$CSV" --format json >/dev/null; t1=$(now)
    eval "$drop"
    elapsed=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$elapsed < $best" | bc -l)" = 1 ]; then best=$elapsed; fi
  done
  printf '%s: caiji import %.3f s (best of %s, fresh database each run)\n' "$name" "$best" "$RUNS"
}
if command -v psql >/dev/null; then
  server_run PostgreSQL "$PG_URL" 'psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true'
fi
if command -v mariadb >/dev/null; then
  my_host=${MY_URL#*@}; my_host=${my_host%%[:/]*}
  server_run MariaDB "$MY_URL" 'mariadb -h "$my_host" -uroot -e "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true'
fi
