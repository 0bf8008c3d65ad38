#!/bin/sh
# heed test rules vs promtool test rules on a generated unit-test file
# (bench/gen_rule_tests.py: 300 input series per test group, 6 hours of
# 1-minute samples, recording and alerting rules, TESTS test groups), whole
# process, RUNS alternating runs each after a warm-up. Prints the medians,
# the speed and memory ratios, and whether both printed the same verdicts.
set -eu
HEED=${HEED:-$(cd "$(dirname "$0")/.." && pwd)/bin/heed}
RUNS=${RUNS:-5}
TESTS=${TESTS:-24}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$here/gen_rule_tests.py" "$dir" --tests "$TESTS"
cd "$dir"
"$HEED" test rules tests.yml >heed.out 2>&1 || true
if ! command -v promtool >/dev/null 2>&1; then
    echo "test rules: promtool not installed; heed only"
    i=0
    while [ $i -lt "$RUNS" ]; do run heed "$HEED" test rules tests.yml; i=$((i + 1)); done
    report "heed test rules" heed
    exit 0
fi
promtool test rules tests.yml 2>&1 | grep -v '^Unit Testing: ' >promtool.out || true
i=0
while [ $i -lt "$RUNS" ]; do
    run heed "$HEED" test rules tests.yml
    run promtool promtool test rules tests.yml
    i=$((i + 1))
done
echo "test rules: $TESTS test groups, $(wc -c <tests.yml) bytes of tests; medians of $RUNS alternating runs"
report "heed test rules" heed
report "promtool test rules ($(promtool --version 2>&1 | head -n 1 | awk '{ print $3 }'))" promtool
echo "  speed: promtool/heed wall $(ratio promtool heed 1)x, cpu $(ratio promtool heed 2)x; memory heed/promtool $(ratio heed promtool 3)"
if cmp -s heed.out promtool.out; then
    echo "  output: identical to promtool's ($(grep -c 'alertname:\|expr:' heed.out) reported mismatches in both)"
else
    echo "  output: DIFFERS from promtool's:"
    diff promtool.out heed.out | head -n 20
fi
