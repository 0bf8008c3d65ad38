#!/bin/sh
# Data-driven golden tests. Each folder tests/golden/<suite>/ holds a file
# "cmd" (a command line; $HEED is heed's binary) and cases NAME.in with their
# expected output NAME.out. The case's input goes to the command's standard
# input; the expected output is its stdout and stderr followed by a line
# "exit: N". On a mismatch the diff is printed. GOLDEN_UPDATE=1 rewrites
# the expectations for review with git diff.
set -u
: "${HEED:?}"
dir="$(dirname "$0")/golden"
if [ ! -d "$dir" ]; then
    echo "0 passed, 0 failed"
    exit 0
fi
cd "$dir" || exit 2
pass=0
fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for suite in */; do
    suite=${suite%/}
    [ -f "$suite/cmd" ] || continue
    cmd=$(cat "$suite/cmd")
    for in in "$suite"/*.in; do
        [ -f "$in" ] || continue
        out=${in%.in}.out
        (cd "$suite" && eval "$cmd" <"../$in" >"$tmp" 2>&1; echo "exit: $?" >>"$tmp")
        if [ "${GOLDEN_UPDATE:-0}" = 1 ]; then
            cp "$tmp" "$out"
        fi
        if [ -f "$out" ] && cmp -s "$tmp" "$out"; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "not ok golden $in"
            if [ -f "$out" ]; then diff -u "$out" "$tmp" | head -n 30; else echo "  (no $out)"; fi
        fi
    done
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
