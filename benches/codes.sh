#!/usr/bin/env bash
# Collection codes at scale:
#   - the QR version distribution (ECC M) over the codes of a demo school;
#   - the time `caiji codes issue --all` takes to issue a code to every student, on SQLite and on
#     PostgreSQL (when a server answers), next to the pure sealing time of the same tokens.
#
# Usage: bash benches/codes.sh [STUDENTS] [--database-url postgres://USER@HOST/DB]
#   STUDENTS defaults to 100000. PostgreSQL comes from --database-url, else TEST_POSTGRES_URL;
#   the bench makes its own database caiji_bench_codes_<pid> on that server and drops it after.
set -euo pipefail
cd "$(dirname "$0")/.."

N=100000
PG_URL=${TEST_POSTGRES_URL:-}
while [ $# -gt 0 ]; do
  case $1 in
    --database-url) PG_URL=${2:?--database-url needs a URL}; shift 2 ;;
    --database-url=*) PG_URL=${1#*=}; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) N=$1; shift ;;
  esac
done

cargo build --release --quiet
cargo bench --quiet --no-run --bench codes_qr 2>/dev/null
BIN=$PWD/target/release/caiji
helper() { cargo bench --quiet --bench codes_qr -- "$@" 2>/dev/null; }

WORK=$(mktemp -d)
PG_DB=caiji_bench_codes_$$
cleanup() {
  rm -rf "$WORK"
  if [ -n "${PG_BENCH_URL:-}" ] && command -v psql >/dev/null; then
    psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
export CAIJI_HOME=$WORK CAIJI_LANG=en CAIJI_OPERATOR=bench
unset CAIJI_DATABASE_URL DATABASE_URL CAIJI_KEY_FILE

# Wall-clock and CPU seconds of a command (output discarded). The machine may be shared, so the
# CPU times say what caiji itself spent. A failure prints the command's error and stops the bench.
timed() {
  local TIMEFORMAT='%R %U %S' times
  if ! times=$( { time "$@" >/dev/null 2>"$WORK/last.err"; } 2>&1 ); then
    echo "failed: $*" >&2
    cat "$WORK/last.err" >&2
    exit 1
  fi
  read -r wall user sys <<<"$times"
  echo "${wall}s (cpu: user ${user}s, sys ${sys}s)"
}

# The URL with its database name (the path) replaced.
with_database() { # url name
  local url=$1 name=$2 query=""
  case $url in *\?*) query="?${url#*\?}"; url=${url%%\?*} ;; esac
  local rest=${url#*://}
  local host=${rest%%/*}
  echo "${url%%://*}://$host/$name$query"
}

echo "== sealing alone ($N tokens, one thread, no database)"
helper seal "$N"

echo
echo "== SQLite: demo school of $N students, no codes yet"
"$BIN" key generate >/dev/null
echo "demo --no-codes: $(timed "$BIN" demo --no-tui --no-codes --students "$N")"
echo "codes issue --all, SQLite, $N students: $(timed "$BIN" codes issue --all)"
grep -o 'codes issued.*' "$WORK/caiji.log" | tail -n 1 | sed 's/^/  log: /' || true

echo
echo "== QR versions of the $N codes"
"$BIN" codes export -o "$WORK/codes.csv" >/dev/null
helper versions "$WORK/codes.csv"

echo
echo "== the default demo (codes for ~92%, a few revoked and reissued), SQLite"
rm -f "$WORK"/caiji.db*
echo "demo: $(timed "$BIN" demo --no-tui --students "$N")"

echo
if [ -z "$PG_URL" ]; then
  echo "== PostgreSQL: skipped (give --database-url postgres://... or set TEST_POSTGRES_URL)"
  exit 0
fi
PG_BENCH_URL=$(with_database "$PG_URL" "$PG_DB")
if ! "$BIN" --database-url "$PG_BENCH_URL" init >/dev/null 2>"$WORK/pg.err"; then
  echo "== PostgreSQL: skipped ($(head -n 1 "$WORK/pg.err"))"
  exit 0
fi
echo "== PostgreSQL: demo school of $N students, no codes yet"
echo "demo --no-codes: $(timed "$BIN" --database-url "$PG_BENCH_URL" demo --no-tui --no-codes --force --students "$N")"
echo "codes issue --all, PostgreSQL, $N students: $(timed "$BIN" --database-url "$PG_BENCH_URL" codes issue --all)"
grep -o 'codes issued.*' "$WORK/caiji.log" | tail -n 1 | sed 's/^/  log: /' || true
