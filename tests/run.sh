#!/bin/sh
# Runs every test suite and sums their closing lines into one:
#   - each unit-test binary in $BUILD/tests/
#   - each executable script in tests/suites/ (golden, conformance, end-to-end)
# Every suite prints "N passed, N failed" as its last line; a suite that exits
# non-zero without failures counted is itself counted as one failure.
set -u
: "${HEED:?}" "${BUILD:?}"
export HEED BUILD
cd "$(dirname "$0")/.." || exit 2
total_pass=0
total_fail=0
log_dir=$BUILD/test-logs
mkdir -p "$log_dir"

run_suite() {
    name=$1
    shift
    log=$log_dir/$name.log
    "$@" >"$log" 2>&1
    rc=$?
    line=$(grep -E '^([A-Za-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    p=$(echo "$line" | sed -E 's/^([A-Za-z_-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
    f=$(echo "$line" | sed -E 's/^([A-Za-z_-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
    [ -n "$p" ] || p=0
    [ -n "$f" ] || f=0
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        f=1
        echo "  $name exited $rc"
    fi
    if [ "$f" != 0 ]; then
        echo "FAIL $name: $p passed, $f failed (log: $log)"
        grep -E '^(not ok|  |FAIL|---|\+\+\+|[-+])' "$log" | head -n 40 | sed 's/^/    /'
    else
        echo "ok   $name: $p passed"
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}

for t in "$BUILD"/tests/*_test; do
    [ -x "$t" ] || continue
    run_suite "$(basename "$t")" "$t"
done
for s in tests/suites/*.sh; do
    [ -x "$s" ] || continue
    run_suite "$(basename "$s" .sh)" "$s"
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
