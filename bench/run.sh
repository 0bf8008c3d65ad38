#!/bin/sh
# Runs every built benchmark ($BUILD/bench/bench_*) with the conformance data
# as input; BENCH_SECONDS sets the timed part of each (default 2).
set -u
: "${BUILD:?}"
root=$(cd "$(dirname "$0")/.." && pwd)
conf=$root/../shared/conformance/promql
status=0
for b in "$BUILD"/bench/bench_*; do
    [ -x "$b" ] || continue
    "$b" "$conf" "${BENCH_SECONDS:-2}" || status=1
done
exit $status
