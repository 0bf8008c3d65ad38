#!/bin/sh
# heed lint --datasource against the real Prometheus on 127.0.0.1, backfilled
# with tests/lint/online/gen_data.py's series: the cadence heed learns from
# the backend (15s, 10m) decides the rate-window and lookback checks, a
# selector without series and an ingestion lag above query_offset are found;
# the near-miss file, linted against the same data, has none of them. Skips
# (with the reason) only when prometheus/promtool are not installed.
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
END=1700010800
python3 tests/lint/online/gen_data.py --end $END >"$E2E_DIR/data.om" || exit 2
e2e_backfill "$E2E_DIR/data.om" || { echo "0 passed, 1 failed"; exit 1; }
# a live target scraped every second, for the checks at "now"
expo=$E2E_DIR/exposition
printf '# TYPE live counter\nlive_total 1\n' >"$expo"
python3 tests/e2e/scrape_target.py "$E2E_DIR/tport" "$expo" &
e2e_track $!
n=0
while [ ! -s "$E2E_DIR/tport" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
e2e_prometheus_config "127.0.0.1:$(cat "$E2E_DIR/tport")" 1s
e2e_prometheus_start || { echo "0 passed, 1 failed"; exit 1; }
URL=$E2E_PROM_URL

cd tests/lint/online || exit 2
. ../check_case.sh
for f in trigger.yml nearmiss.yml; do
    if lint_case "$f" --datasource "$URL" --time $((END + 5)); then e2e_ok "$f"; else e2e_not_ok "$f"; fi
done

# offline, the near-miss file's rate(fast_total[1m]) is too short for the
# assumed 1m cadence: it was the observed 15s that cleared it
if "$HEED" lint nearmiss.yml | grep -q "rate-window-empty"; then
    e2e_ok "offline, the assumed cadence flags what the observed one cleared"
else
    e2e_not_ok "offline lint of nearmiss.yml did not flag rate-window-empty"
fi

# the observed cadence is named in the message
if "$HEED" lint --datasource "$URL" --time $((END + 5)) trigger.yml |
    grep -q "rate-window-short: rate(fast_total\[45s\]): the 45s window is shorter than 4x the cadence 15s (observed on the backend"; then
    e2e_ok "message names the observed cadence"
else
    e2e_not_ok "message does not name the observed cadence"
fi

# live: wait for a few scrapes, then lint at the current time. The observed
# cadence is the 1s scrape interval, and a healthy pipeline shows no lag
# (no query_offset needed).
n=0
while [ $n -lt 100 ]; do
    c=$(curl -s "$URL/api/v1/query" --data-urlencode 'query=count_over_time(live_total[1m])' |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(int(r[0]["value"][1]) if r else 0)')
    [ "$c" -ge 6 ] && break
    sleep 0.5
    n=$((n + 1))
done
if lint_case live.yml --datasource "$URL"; then e2e_ok "live.yml (1s scrape)"; else e2e_not_ok "live.yml (1s scrape)"; fi

# a backend that does not answer: exit 2 with the reason
port=$(e2e_free_port)
"$HEED" lint --datasource "http://127.0.0.1:$port" trigger.yml >"$E2E_DIR/out" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q "heed: lint: datasource: query .* failed (unavailable)" "$E2E_DIR/out"; then
    e2e_ok "unreachable backend: exit 2"
else
    e2e_not_ok "unreachable backend: exit $rc: $(cat "$E2E_DIR/out")"
fi
e2e_summary
