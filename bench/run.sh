#!/bin/sh
# Runs every built benchmark ($BUILD/bench/bench_*) with the conformance data
# as input; BENCH_SECONDS sets the timed part of each (default 2). Then every
# script bench/bench_*.sh (side-by-side comparisons; they find heed via $HEED).
set -u
: "${BUILD:?}"
root=$(cd "$(dirname "$0")/.." && pwd)
conf=$root/../shared/conformance/promql
status=0
for b in "$BUILD"/bench/bench_*; do
    [ -x "$b" ] || continue
    "$b" "$conf" "${BENCH_SECONDS:-2}" || status=1
done
for s in "$root"/bench/bench_*.sh; do
    [ -x "$s" ] || continue
    "$s" || status=1
done
exit $status
