#!/bin/sh
# Runs every built fuzz target ($BUILD/fuzz/fuzz_*) for $FUZZ_SECONDS each,
# starting from its committed seed corpus tests/fuzz/corpus/<name>/ and
# writing new inputs to tests/fuzz/corpus-run/<name>/ (not committed).
# A crash leaves its input in that folder and fails the run.
set -u
: "${BUILD:?}"
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
cd "$(dirname "$0")/../.." || exit 2
status=0
found=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    found=1
    name=$(basename "$bin" | sed 's/^fuzz_//')
    seeds=tests/fuzz/corpus/$name
    work=tests/fuzz/corpus-run/$name
    mkdir -p "$work"
    echo "fuzz $name for ${FUZZ_SECONDS}s"
    if ! "$bin" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/" -print_final_stats=1 "$work" "$seeds"; then
        echo "fuzz $name: FAILED (inputs in $work/)"
        status=1
    fi
done
[ "$found" = 1 ] || { echo "no fuzz targets built in $BUILD/fuzz" >&2; exit 1; }
exit $status
