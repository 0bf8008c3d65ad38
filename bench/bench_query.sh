#!/bin/sh
# End-to-end latency of one instant query, side by side:
#   heed        `heed query --datasource URL --time T EXPR`: heed's engine over
#               the raw samples it fetches from Prometheus (whole process:
#               start, fetch, decode, evaluate, print the JSON)
#   prometheus  the same query answered by Prometheus itself
#               (`curl /api/v1/query`, whole process)
# on 10,000 backfilled series (bench/gen_tick.py) in one real Prometheus on
# 127.0.0.1, for the shapes alerting rules have. RUNS alternating runs of
# each (default 7) after a warm-up; medians of wall time, of the client's CPU
# (GNU time) and of the server's CPU during the run (/proc/PID/stat), their
# sum, and the ratios heed/prometheus (CPU is counted in 10 ms ticks: n/a
# when Prometheus's median is zero). Each pair of answers must hold the
# same number of series.
# Then the streaming decode figures of bench_decode (heed's JSON decoder on
# a large generated response).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
HEED=${HEED:-$root/bin/heed}
BUILD=${BUILD:-$root/build/release}
RUNS=${RUNS:-7}
. "$here/lib.sh"
. "$root/tests/e2e/lib.sh"

if ! e2e_have_prometheus; then
    echo "query: needs prometheus and promtool: skipped"
    exit 0
fi
[ -x /usr/bin/time ] || { echo "query: needs GNU time (/usr/bin/time)" >&2; exit 1; }

e2e_init
# e2e_cleanup's kills of processes already gone must not fail the run under set -e
trap 'st=$?; set +e; e2e_cleanup; exit $st' EXIT
trap 'set +e; e2e_cleanup; exit 130' INT
trap 'set +e; e2e_cleanup; exit 143' TERM
dir=$E2E_DIR
end=1790000000
python3 "$here/gen_tick.py" "$dir" --end "$end" --before 70 --after 0 >"$dir/gen.out"
nseries=$(awk '{ print $1 }' "$dir/gen.out")
e2e_backfill "$dir/data.om"
rm -f "$dir/data.om"
e2e_prometheus_start
P=$E2E_PROM_PID
URL=$E2E_PROM_URL
T=$((end - 15))

# runb NAME CMD...: lib.sh's run, plus the server's CPU during the run as a
# fourth column.
runb() {
    b0=$(proc_cpu_s "$P")
    run "$@"
    b1=$(proc_cpu_s "$P")
    name=$1
    tail -n 1 "$dir/$name" | awk -v b="$(awk -v a="$b0" -v c="$b1" 'BEGIN { print c - a }')" '{ print $1, $2, $3, b, $2 + b }' >"$dir/t2"
    sed '$d' "$dir/$name" >"$dir/t3"
    cat "$dir/t2" >>"$dir/t3"
    mv "$dir/t3" "$dir/$name"
}

prom_query() {
    curl -s -f -G "$URL/api/v1/query" --data-urlencode "query=$1" --data-urlencode "time=$T"
}

nseries_of() {
    grep -o '"metric":' | wc -l
}

echo "query: $nseries series backfilled, 70 minutes every 30 s; instant queries at one time; medians of $RUNS alternating runs"
echo "  (cpu: client + server; prometheus $(prometheus --version 2>&1 | head -n 1 | awk '{ print $3 }'); heed --datasource fetches raw samples and evaluates itself)"
status=0
k=0
while IFS='|' read -r label expr; do
    [ -n "$expr" ] || continue
    k=$((k + 1))
    h=$("$HEED" query --datasource "$URL" --time "$T" "$expr" | nseries_of)
    p=$(prom_query "$expr" | nseries_of)
    if [ "$h" != "$p" ] || [ "$p" = 0 ]; then
        echo "  $label: heed returned $h series, prometheus $p: not compared" >&2
        status=1
        continue
    fi
    rm -f "$dir/heed$k" "$dir/prom$k"
    i=0
    while [ $i -lt "$RUNS" ]; do
        runb "heed$k" "$HEED" query --datasource "$URL" --time "$T" "$expr"
        runb "prom$k" curl -s -f -G "$URL/api/v1/query" --data-urlencode "query=$expr" --data-urlencode "time=$T"
        i=$((i + 1))
    done
    echo "  $label ($p series out): $expr"
    for who in heed prom; do
        f=$dir/$who$k
        printf '    %-10s wall %7.1f ms  cpu %7.1f ms (client %6.1f + server %6.1f)  client peak %6.1f MB\n' \
            "$([ $who = heed ] && echo heed || echo prometheus)" \
            "$(median_of "$f" 1 | awk '{ print $1 * 1000 }')" "$(median_of "$f" 5 | awk '{ print $1 * 1000 }')" \
            "$(median_of "$f" 2 | awk '{ print $1 * 1000 }')" "$(median_of "$f" 4 | awk '{ print $1 * 1000 }')" \
            "$(median_of "$f" 3 | awk '{ print $1 / 1024 }')"
    done
    echo "    ratio heed/prometheus: wall $(ratio "heed$k" "prom$k" 1)x  cpu $(ratio "heed$k" "prom$k" 5 | sed 's/^[0-9.]*$/&x/')"
done <<'EOF'
rate over many counters|rate(http_requests_total[5m])
sum by|sum by (job, code) (rate(http_requests_total[5m]))
ratio of rates|sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m]))
histogram_quantile|histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))
topk|topk(5, rate(node_cpu_seconds_total[5m]))
1h window|sum by (job) (increase(http_requests_total[1h]))
gauge comparison|node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.5
EOF

if [ -x "$BUILD/bench/bench_decode" ]; then
    echo "decode (bench_decode):"
    "$BUILD/bench/bench_decode" | sed 's/^/  /'
else
    echo "decode: $BUILD/bench/bench_decode not built (make bench builds it)"
fi
exit $status
