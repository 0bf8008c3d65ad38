#!/bin/sh
# End-to-end smoke test of heed's datasource client against the real
# Prometheus on 127.0.0.1, backfilled with tests/e2e/gen_openmetrics.py data:
# what heed decodes must equal what Prometheus's own /api/v1/query returns
# (fetched with curl, normalised by tests/e2e/prom_to_text.py); the storage
# path (--exact) must return the same raw samples, with no staleness marker
# invented for backfilled data (which has none).
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$PWD/bin/heed}
. tests/e2e/lib.sh

if ! e2e_have_prometheus; then
    echo "skip: prometheus/promtool not installed ($E2E_PROMETHEUS)"
    echo "0 passed, 0 failed"
    exit 0
fi
e2e_init

START=1700000000
python3 tests/e2e/gen_openmetrics.py --start $START >"$E2E_DIR/data.om" || exit 2
e2e_backfill "$E2E_DIR/data.om" || { echo "0 passed, 1 failed"; exit 1; }
e2e_prometheus_start || { echo "0 passed, 1 failed"; exit 1; }
URL=$E2E_PROM_URL

# compare NAME TIME QUERY [--exact]: heed fetch vs curl + normaliser.
compare() {
    name=$1 t=$2 q=$3
    shift 3
    curl -s --max-time 20 "$URL/api/v1/query" --data-urlencode "query=$q" --data-urlencode "time=$t" \
        >"$E2E_DIR/prom.json"
    python3 tests/e2e/prom_to_text.py <"$E2E_DIR/prom.json" >"$E2E_DIR/want" 2>&1
    "$HEED" fetch --datasource "$URL" --time "$t" "$@" "$q" >"$E2E_DIR/got" 2>"$E2E_DIR/err"
    rc=$?
    nseries=$(grep -c '^series' "$E2E_DIR/want")
    if [ $rc = 0 ] && cmp -s "$E2E_DIR/want" "$E2E_DIR/got"; then
        e2e_ok "$name ($nseries series, $(grep -c '^  ' "$E2E_DIR/want") samples)"
    else
        e2e_not_ok "$name: heed exit $rc"
        cat "$E2E_DIR/err"
        diff "$E2E_DIR/want" "$E2E_DIR/got" | head -n 10
    fi
}

T=$((START + 3600 + 100)).5   # 100.5 s after the "gone" target's last sample
compare "counter range" $T 'heed_requests_total[5m]'
compare "counter range, storage path" $T 'heed_requests_total[5m]' --exact
compare "gauge regex matcher" $T 'heed_temperature_celsius{instance=~"api-.*|frozen.*"}[10m]'
compare "gauge regex matcher, storage path" $T 'heed_temperature_celsius{instance=~"api-.*|frozen.*"}[10m]' --exact
compare "histogram buckets" $T 'heed_request_duration_seconds_bucket{instance="api-0:9100"}[2m]'
compare "histogram buckets, storage path" $T 'heed_request_duration_seconds_bucket{instance="api-0:9100"}[2m]' --exact
compare "disappeared target within lookback" $T 'heed_requests_total{instance="gone:9100"}[5m]'
compare "disappeared target, storage path (no marker invented)" $T 'heed_requests_total{instance="gone:9100"}[5m]' --exact
compare "frozen target" $T 'heed_queue_length{instance="frozen:9100"}[15m]' --exact
compare "many metric names" $T '{__name__=~"heed_.*",instance="api-1:9100"}[1m]' --exact
compare "long window" $((START + 7200)) 'up{instance="api-0:9100"}[2h]' --exact
compare "millisecond window" $((START + 3600)).123 'up{instance="api-0:9100"}[1ms]' --exact
compare "empty result" $T 'nonexistent_metric[5m]' --exact
compare "instant vector" $T 'heed_temperature_celsius'
compare "rate" $T 'rate(heed_requests_total[5m])'
compare "histogram_quantile" $T 'histogram_quantile(0.9, sum by (le) (rate(heed_request_duration_seconds_bucket[5m])))'
compare "scalar" $T 'scalar(sum(up))'
compare "string" $T '"heed"'
compare "special values" $T 'heed_queue_length{instance="api-0:9100"} / 0 - heed_queue_length{instance="api-0:9100"} / 0'

# heed's engine over its datasource (heed fetch --eval) against Prometheus's
# own evaluation of the same expression: series order aside, the same
# result, floats within 1e-9 relative.
engine() {
    name=$1 t=$2 q=$3
    curl -s --max-time 20 "$URL/api/v1/query" --data-urlencode "query=$q" --data-urlencode "time=$t" |
        python3 tests/e2e/prom_to_text.py >"$E2E_DIR/want" 2>&1
    "$HEED" fetch --datasource "$URL" --time "$t" --eval --stats "$q" >"$E2E_DIR/got" 2>"$E2E_DIR/err"
    rc=$?
    if [ $rc = 0 ] && python3 tests/e2e/compare_text.py "$E2E_DIR/want" "$E2E_DIR/got" >"$E2E_DIR/diff"; then
        e2e_ok "engine: $name ($(grep -c '^series' "$E2E_DIR/want") series; $(grep -o 'requests [0-9]*' "$E2E_DIR/err"))"
    else
        e2e_not_ok "engine: $name: heed exit $rc"
        cat "$E2E_DIR/err" "$E2E_DIR/diff"
    fi
}
engine "rate" $T 'rate(heed_requests_total[5m])'
engine "sum by rate" $T 'sum by (instance) (rate(heed_requests_total[5m]))'
engine "histogram_quantile" $T \
    'histogram_quantile(0.9, sum by (le, instance) (rate(heed_request_duration_seconds_bucket[5m])))'
engine "comparison filter" $T 'heed_temperature_celsius > 25'
engine "subquery" $T 'max_over_time(heed_queue_length[10m:1m])'
engine "disappeared target in lookback" $T 'heed_requests_total{instance="gone:9100"}'
engine "frozen target: changes" $T 'changes(heed_queue_length{instance="frozen:9100"}[15m])'
engine "binary op, two selectors fetched in parallel" $T \
    'sum(rate(heed_requests_total{code="500"}[5m])) / sum(rate(heed_requests_total[5m]))'
engine "offset" $T 'heed_queue_length offset 30m - heed_queue_length'
engine "@ modifier" $T 'heed_temperature_celsius @ 1700001000.5'
engine "absent" $T 'absent(nonexistent_metric)'
engine "scalar" $T 'scalar(sum(up))'

# A query Prometheus refuses: the same errorType and message.
curl -s "$URL/api/v1/query" --data-urlencode 'query=rate(up[5m' --data-urlencode "time=$T" >"$E2E_DIR/prom.json"
want=$(python3 -c 'import json,sys; b=json.load(sys.stdin); print("(%s): %s" % (b["errorType"], b["error"]))' \
    <"$E2E_DIR/prom.json")
"$HEED" fetch --datasource "$URL" --time "$T" 'rate(up[5m' >/dev/null 2>"$E2E_DIR/err"
rc=$?
if [ $rc = 1 ] && grep -qF -- "fetch failed $want" "$E2E_DIR/err"; then
    e2e_ok "parse error passed through ($want)"
else
    e2e_not_ok "parse error: exit $rc, want '$want', got: $(cat "$E2E_DIR/err")"
fi

e2e_summary
