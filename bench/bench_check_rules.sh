#!/bin/sh
# heed check rules vs promtool check rules on a generated file of 10,000
# alerting and recording rules (bench/gen_rules.py), whole process.
# The two commands run alternately, RUNS times each (default 11) after a
# warm-up, so both see the same load from anything else on the machine.
# Prints the medians of wall time and of CPU time (user+sys), peak memory,
# and the ratios promtool/heed.
set -eu
HEED=${HEED:-$(cd "$(dirname "$0")/.." && pwd)/bin/heed}
RUNS=${RUNS:-11}
RULES=${RULES:-10000}
TIME=/usr/bin/time
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
file=$dir/rules.yml
python3 "$(dirname "$0")/gen_rules.py" --rules "$RULES" >"$file"

[ -x "$TIME" ] || { echo "bench_check_rules: needs GNU time ($TIME)" >&2; exit 1; }
"$HEED" check rules "$file" | grep -q "SUCCESS: $RULES rules found" || { echo "heed rejected the generated file" >&2; exit 1; }
have_promtool=0
if command -v promtool >/dev/null 2>&1; then
    promtool check rules "$file" | grep -q "SUCCESS: $RULES rules found" || { echo "promtool rejected the generated file" >&2; exit 1; }
    have_promtool=1
fi

# run NAME CMD...: one measured run, appending "wall_s cpu_s maxrss_kb" to $dir/NAME
# (wall from the clock in ns; CPU and memory from GNU time, 10 ms resolution)
run() {
    name=$1
    shift
    t0=$(date +%s%N)
    "$TIME" -f "%U %S %M" -o "$dir/t" "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    awk -v ns=$((t1 - t0)) '{ printf "%.4f %.3f %s\n", ns / 1e9, $1 + $2, $3 }' "$dir/t" >>"$dir/$name"
}

# median NAME COLUMN: median of a column of $dir/NAME
median() {
    awk -v c="$2" '{ print $c }' "$dir/$1" | sort -n |
        awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'
}

"$HEED" check rules "$file" >/dev/null 2>&1 || true
[ $have_promtool = 1 ] && { promtool check rules "$file" >/dev/null 2>&1 || true; }
i=0
while [ $i -lt "$RUNS" ]; do
    run heed "$HEED" check rules "$file"
    [ $have_promtool = 1 ] && run promtool promtool check rules "$file"
    i=$((i + 1))
done

echo "check rules: $RULES rules, $(wc -l <"$file") lines, $(wc -c <"$file") bytes; medians of $RUNS alternating runs"
hw=$(median heed 1) hc=$(median heed 2) hm=$(median heed 3)
printf '  heed check rules      wall %6.0f ms  cpu %6.0f ms  peak %6.1f MB\n' \
    "$(echo "$hw" | awk '{ print $1 * 1000 }')" "$(echo "$hc" | awk '{ print $1 * 1000 }')" "$(echo "$hm" | awk '{ print $1 / 1024 }')"
if [ $have_promtool = 1 ]; then
    pw=$(median promtool 1) pc=$(median promtool 2) pm=$(median promtool 3)
    printf '  promtool check rules  wall %6.0f ms  cpu %6.0f ms  peak %6.1f MB  (%s)\n' \
        "$(echo "$pw" | awk '{ print $1 * 1000 }')" "$(echo "$pc" | awk '{ print $1 * 1000 }')" \
        "$(echo "$pm" | awk '{ print $1 / 1024 }')" "$(promtool --version 2>&1 | head -n 1 | awk '{ print $3 }')"
    awk -v pw="$pw" -v hw="$hw" -v pc="$pc" -v hc="$hc" -v pm="$pm" -v hm="$hm" 'BEGIN {
        # GNU time has 10 ms resolution: a zero is counted as 5 ms
        if (hw <= 0) hw = 0.005; if (hc <= 0) hc = 0.005
        printf "  ratio promtool/heed   wall %.1fx  cpu %.1fx  memory %.1fx\n", pw / hw, pc / hc, pm / hm }'
else
    echo "  promtool not installed: no comparison"
fi
