#!/bin/sh
# heed replay and heed report against the real Prometheus on 127.0.0.1:
# all five bundled examples loaded into it (examples 2-5 backfilled with
# tests/e2e/load_to_openmetrics.py and promtool tsdb create-blocks-from
# openmetrics; example 1, whose series end with staleness markers, through
# the remote-write receiver) must give exactly the timelines and reports
# that the same examples give from their series files (heed's engine over
# raw samples fetched through compat/datasource, freshness figures and the
# markers heed reconstructs included), with the replay options of examples
# 3 (--ingest-delay) and 5 (--outage, as absolute times). Skips when
# prometheus is not installed.
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

# Each example at whole hours of its own, far enough apart that no rule
# of one example sees another's series (several share metric names):
# example 4 (a week) from 10 days ago, 3 from 60 hours ago, 5 from 36, 2
# from 20 and 1 (remote-written, see below) from 4 hours ago.
now=$(date +%s)
hour() { echo $(((now - $1 * 3600) / 3600 * 3600)); }
S4=$(hour 240) S3=$(hour 60) S5=$(hour 36) S2=$(hour 20) S1=$(hour 4)
for n in 2 3 4 5; do
    ex=$(ls -d examples/$n-*)
    eval "start=\$S$n"
    python3 tests/e2e/load_to_openmetrics.py $ex/series.txt "$start" >"$E2E_DIR/s$n.om" || exit 2
    e2e_backfill "$E2E_DIR/s$n.om" || { echo "0 passed, 1 failed"; exit 1; }
done
# Example 1's series end with staleness markers, which promtool cannot
# backfill: they go through the remote-write receiver instead, after the
# blocks' end (the head accepts nothing older); an out-of-order window
# lets batches arrive in any order.
e2e_prometheus_config
printf 'storage:\n  tsdb:\n    out_of_order_time_window: 1d\n' >>"$E2E_DIR/prometheus.yml"
e2e_prometheus_start || { echo "0 passed, 1 failed"; exit 1; }
URL=$E2E_PROM_URL
python3 tests/e2e/load_to_openmetrics.py --remote-write examples/1-spike-restart/series.txt "$S1" \
    >"$E2E_DIR/s1.args" || exit 2
# shellcheck disable=SC2046 # one argument per word: series, value, timestamp
if ! "$HEED" remote-write --url "$URL/api/v1/write" $(cat "$E2E_DIR/s1.args") >"$E2E_DIR/rw.out" 2>&1 ||
    ! grep -q 'failed=0 ' "$E2E_DIR/rw.out"; then
    cat "$E2E_DIR/rw.out"
    echo "0 passed, 1 failed"
    exit 1
fi

# same NAME CMD ARGS...: the command over the series file (--series FILE
# --series-start START) and over Prometheus (--datasource URL) prints the same.
same() {
    name=$1 file=$2 start=$3
    shift 3
    "$HEED" "$@" --series "$file" --series-start "$start" >"$E2E_DIR/want" 2>&1
    "$HEED" "$@" --datasource "$URL" >"$E2E_DIR/got" 2>&1
    if ! cmp -s "$E2E_DIR/want" "$E2E_DIR/got"; then
        sleep 2 # blocks still being loaded or compacted: one more try
        "$HEED" "$@" --datasource "$URL" >"$E2E_DIR/got" 2>&1
    fi
    if cmp -s "$E2E_DIR/want" "$E2E_DIR/got"; then
        e2e_ok "$name ($(grep -c '"time"\|^availability' "$E2E_DIR/want") transitions/figures)"
    else
        diff "$E2E_DIR/want" "$E2E_DIR/got" | head -n 20
        e2e_not_ok "$name: the datasource's output differs from the series file's"
    fi
}

ex=examples/1-spike-restart
same "replay, scenario 1 (spike, pods replaced: staleness markers), JSON" $ex/series.txt $S1 \
    replay --rules $ex/rules.yml --from $S1 --to $((S1 + 90 * 60 - 15)) --format json
same "replay, scenario 1, text" $ex/series.txt $S1 \
    replay --rules $ex/rules.yml --from $S1 --to $((S1 + 90 * 60 - 15))
same "report, scenario 1, per pod" $ex/series.txt $S1 \
    report --expr '1 - rate(errors_total[5m]) / rate(requests_total[5m])' --from $((S1 + 300)) --to $((S1 + 3600))
ex=examples/2-frozen-endpoint
same "replay, scenario 2 (frozen endpoint), JSON" $ex/series.txt $S2 \
    replay --rules $ex/rules.yml --from $S2 --to $((S2 + 4 * 3600 - 15)) --format json
same "replay, scenario 2, text" $ex/series.txt $S2 \
    replay --rules $ex/rules.yml --from $S2 --to $((S2 + 4 * 3600 - 15))
ex=examples/3-lagging-pipeline
same "replay, scenario 3 (lagging pipeline, --ingest-delay 4m), JSON" $ex/series.txt $S3 \
    replay --rules $ex/rules.yml --from $S3 --to $((S3 + 3600 - 15)) --ingest-delay 4m --format json
ex=examples/4-slo-frozen
same "replay, scenario 4 (frozen counters), JSON" $ex/series.txt $S4 \
    replay --rules $ex/rules.yml --from $S4 --to $((S4 + 7 * 86400 - 60)) --format json
same "report, scenario 4, 30m steps" $ex/series.txt $S4 \
    report --rules $ex/rules.yml --record job:availability:ratio_rate5m --from $S4 \
    --to $((S4 + 7 * 86400 - 60)) --step 30m --objective 99.9
ex=examples/5-watchdog
same "replay, scenario 5 (backend outage 20m-30m), JSON" $ex/series.txt $S5 \
    replay --rules $ex/rules.yml --from $S5 --to $((S5 + 40 * 60 - 15)) \
    --outage $((S5 + 20 * 60)),$((S5 + 30 * 60)) --format json

echo "$E2E_PASS passed, $E2E_FAIL failed"
[ "$E2E_FAIL" = 0 ]
