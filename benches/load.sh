#!/usr/bin/env bash
# Load test (issue: hardening): eight check-in stations scan real codes for SECONDS (default 60)
# against PostgreSQL and MariaDB while a ninth connection runs the Reports screen's queries round
# after round. Prints check-ins per second and p50/p99 latency for the scans and for the report
# rounds, and fails if a shot number is missing or doubled.
#
#   benches/load.sh [SECONDS] [STUDENTS]     (defaults: 60 s, a queue of 100,000 codes)
#
# Server URLs: TEST_POSTGRES_URL / TEST_MYSQL_URL (defaults: the local CI servers). A fresh
# database is made on each server for the run and dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=${1:-60}
STUDENTS=${2:-100000}
export TEST_POSTGRES_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
export TEST_MYSQL_URL=${TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}
cargo bench --quiet --bench checkin -- --seconds "$SECONDS_RUN" --students "$STUDENTS"
