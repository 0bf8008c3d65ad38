#!/bin/sh
# heed lint vs promtool check rules on the generated file of 10,000 alerting
# and recording rules (bench/gen_rules.py): whole process, wall time, median
# of RUNS runs (default 9) after one warm-up run each. heed lint loads and
# validates the file as check rules does, then runs every offline check.
# Prints both medians, the number of findings and the ratio promtool/heed.
set -eu
HEED=${HEED:-$(cd "$(dirname "$0")/.." && pwd)/bin/heed}
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}
RUNS=${RUNS:-9}
RULES=${RULES:-10000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
file=$dir/rules.yml
python3 "$(dirname "$0")/gen_rules.py" --rules "$RULES" >"$file"

now_ns() { date +%s%N; }

# median_ms CMD...: runs CMD RUNS times (output discarded) and prints the
# median wall time in milliseconds with one decimal.
median_ms() {
    "$@" >/dev/null 2>&1 || true
    i=0
    : >"$dir/times"
    while [ $i -lt "$RUNS" ]; do
        t0=$(now_ns)
        "$@" >/dev/null 2>&1 || true
        t1=$(now_ns)
        echo $((t1 - t0)) >>"$dir/times"
        i=$((i + 1))
    done
    sort -n "$dir/times" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1e6 }'
}

set +e
"$HEED" lint "$file" >"$dir/findings"
rc=$?
set -e
[ $rc -le 1 ] || { echo "heed lint failed on the generated file (exit $rc)" >&2; head "$dir/findings" >&2; exit 1; }
echo "lint: $RULES rules, $(wc -l <"$file") lines, $(wc -c <"$file") bytes, median of $RUNS runs"
echo "  findings: $(wc -l <"$dir/findings") ($(awk '{ print $3 }' "$dir/findings" | tr -d : | sort | uniq -c | sort -rn | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }'))"
h=$(median_ms "$HEED" lint "$file")
echo "  heed lint             ${h} ms"
if [ -x "$PROMTOOL" ]; then
    "$PROMTOOL" check rules "$file" | grep -q "SUCCESS: $RULES rules found" || { echo "promtool rejected the generated file" >&2; exit 1; }
    p=$(median_ms "$PROMTOOL" check rules "$file")
    echo "  promtool check rules  ${p} ms ($("$PROMTOOL" --version 2>&1 | head -n 1 | awk '{ print $3 }'))"
    awk -v p="$p" -v h="$h" 'BEGIN { printf "  ratio promtool/heed   %.1fx\n", p / h }'
else
    echo "  promtool not installed ($PROMTOOL): no comparison"
fi
