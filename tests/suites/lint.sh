#!/bin/sh
# heed lint: every case in tests/lint/*.yml (see tests/lint/README.md) must
# produce the findings its "# expect:" lines name and none its "# reject:"
# lines name; tests/lint/formats/ holds exact output of each --format; and
# the exit status and usage errors are checked.
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$PWD/bin/heed}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); echo "ok: $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok: $*"; }

cd tests/lint || exit 2
. ./check_case.sh
for f in *.yml; do
    if lint_case "$f"; then ok "$f"; else not_ok "$f"; fi
done

# exact output of each format
for fmt in text json github; do
    "$HEED" lint --format "$fmt" formats/input.yml >"$tmp/out" 2>&1
    echo "exit: $?" >>"$tmp/out"
    if [ "${GOLDEN_UPDATE:-0}" = 1 ]; then cp "$tmp/out" "formats/$fmt.out"; fi
    if cmp -s "$tmp/out" "formats/$fmt.out"; then ok "format $fmt"; else
        not_ok "format $fmt"
        diff -u "formats/$fmt.out" "$tmp/out" | head -n 30
    fi
done
if "$HEED" lint --format json formats/input.yml | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d and all(set(x) == {"file", "line", "column", "severity", "check", "message"} for x in d)'; then
    ok "json output parses, with the six fields"
else
    not_ok "json output does not parse or lacks fields"
fi

# every check is documented and has a triggering and a near-miss case
# (the online ones in tests/lint/online/)
for id in $("$HEED" lint --list-checks | awk '{ print $1 }'); do
    if ! grep -q "^### $id (" ../../docs/lint.md; then
        not_ok "$id: no section in docs/lint.md"
    elif { [ -f "$id.trigger.yml" ] && [ -f "$id.nearmiss.yml" ]; } ||
        { grep -q "^# expect: $id" online/*.yml && grep -q "^# reject: $id" online/*.yml; }; then
        ok "$id: documented, triggered and near-missed"
    else
        not_ok "$id: no trigger/near-miss case"
    fi
done

# a clean file: exit 0, an empty JSON list, no annotation
printf 'groups:\n  - name: g\n    rules:\n      - alert: Watchdog\n        expr: vector(1)\n' >"$tmp/clean.yml"
if [ "$("$HEED" lint --format json "$tmp/clean.yml")" = "[]" ] && [ -z "$("$HEED" lint --format github "$tmp/clean.yml")" ] &&
    [ -z "$("$HEED" lint "$tmp/clean.yml")" ]; then
    ok "clean file: no output, [] in json"
else
    not_ok "clean file"
fi
"$HEED" lint formats/input.yml "$tmp/clean.yml" >/dev/null 2>&1
rc=$?
if [ $rc = 1 ]; then ok "two files, errors in one: exit 1"; else not_ok "two files: exit $rc"; fi

# usage errors and files that do not load: exit 2 with the loader's positions
expect_exit2() {
    name=$1 pattern=$2
    shift 2
    "$HEED" lint "$@" >"$tmp/out" 2>&1
    rc=$?
    if [ $rc = 2 ] && grep -q -- "$pattern" "$tmp/out"; then ok "$name"; else
        not_ok "$name: exit $rc"
        cat "$tmp/out"
    fi
}
expect_exit2 "no files" "no rule files given"
expect_exit2 "unknown flag" "unknown flag '--nope'" --nope x.yml
expect_exit2 "bad format" "unknown format 'xml'" --format xml formats/input.yml
expect_exit2 "bad cadence" "cadence" --cadence 5x formats/input.yml
expect_exit2 "missing file" "no-such-file.yml: error: open no-such-file.yml" no-such-file.yml
printf 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m]\n' >"$tmp/bad.yml"
expect_exit2 "invalid expression" "bad.yml:5:15: error: .*could not parse expression" "$tmp/bad.yml"
printf 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        bogus: 1\n' >"$tmp/bad2.yml"
expect_exit2 "unknown field" "bad2.yml:1:1: error: yaml: unmarshal errors" "$tmp/bad2.yml"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
