#!/usr/bin/env bash
# Load test (SPEC §12, issue 9): eight check-in stations scanning for SECONDS against PostgreSQL
# and against MariaDB while a console reads reports (completion by college + roster counts) in a
# loop. Prints throughput and p50/p99 latency of the check-ins and of the report queries. Every
# run is checked afterwards: each granted check-in has its own shot number and the counter agrees.
#
#   benches/load.sh [SECONDS] [STUDENTS]     (defaults: 60 seconds, 60000 students)
#
# Server URLs: TEST_POSTGRES_URL / TEST_MYSQL_URL (defaults: the local CI servers). A fresh
# database is made on each server and dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_=${1:-60}
STUDENTS=${2:-60000}
export TEST_POSTGRES_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
export TEST_MYSQL_URL=${TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}

cargo bench --quiet --bench checkin -- --seconds "$SECONDS_" --students "$STUDENTS"
