#!/bin/sh
# Replays each fuzz target's committed corpus (tests/fuzz/corpus/<name>/)
# through its ordinary replay driver ($BUILD/replay/fuzz_<name>), so every
# `make test` checks the fuzz properties on known inputs.
set -u
: "${BUILD:?}"
cd "$(dirname "$0")/../.." || exit 2
pass=0
fail=0
for bin in "$BUILD"/replay/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin" | sed 's/^fuzz_//')
    for f in tests/fuzz/corpus/"$name"/*; do
        [ -f "$f" ] || continue
        if "$bin" "$f" >/dev/null 2>"$BUILD/replay/last.err"; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "not ok $name $f"
            head -n 5 "$BUILD/replay/last.err" | sed 's/^/  /'
        fi
    done
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
