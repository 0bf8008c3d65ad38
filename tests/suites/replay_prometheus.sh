#!/bin/sh
# heed replay and heed report against the real Prometheus on 127.0.0.1:
# bundled examples backfilled into it (tests/e2e/load_to_openmetrics.py,
# promtool tsdb create-blocks-from openmetrics) must give exactly the
# timelines and the report that the same examples give from their series
# files (heed's engine over raw samples fetched through compat/datasource,
# freshness figures included). Skips when prometheus is not installed.
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

# recent whole hours, well inside any retention
now=$(date +%s)
S2=$(((now - 6 * 3600) / 3600 * 3600))
S4=$(((now - 9 * 86400) / 3600 * 3600))
python3 tests/e2e/load_to_openmetrics.py examples/2-frozen-endpoint/series.txt $S2 >"$E2E_DIR/s2.om" || exit 2
python3 tests/e2e/load_to_openmetrics.py examples/4-slo-frozen/series.txt $S4 >"$E2E_DIR/s4.om" || exit 2
e2e_backfill "$E2E_DIR/s2.om" || { echo "0 passed, 1 failed"; exit 1; }
e2e_backfill "$E2E_DIR/s4.om" || { echo "0 passed, 1 failed"; exit 1; }
e2e_prometheus_start || { echo "0 passed, 1 failed"; exit 1; }
URL=$E2E_PROM_URL

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

ex=examples/2-frozen-endpoint
same "replay, scenario 2 (frozen endpoint), JSON" $ex/series.txt $S2 \
    replay --rules $ex/rules.yml --from $S2 --to $((S2 + 4 * 3600 - 15)) --format json
same "replay, scenario 2, text" $ex/series.txt $S2 \
    replay --rules $ex/rules.yml --from $S2 --to $((S2 + 4 * 3600 - 15))
ex=examples/4-slo-frozen
same "report, scenario 4 (frozen counters), 30m steps" $ex/series.txt $S4 \
    report --rules $ex/rules.yml --record job:availability:ratio_rate5m --from $S4 \
    --to $((S4 + 7 * 86400 - 60)) --step 30m --objective 99.9

echo "$E2E_PASS passed, $E2E_FAIL failed"
[ "$E2E_FAIL" = 0 ]
