#!/bin/sh
# Runs every benchmark binary $BUILD/bench/bench_* (each prints its own table).
set -u
: "${BUILD:?}"
status=0
for b in "$BUILD"/bench/bench_*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b" || status=1
done
exit $status
