#!/bin/sh
# Native histograms from the real Prometheus (Debian's 2.42, with
# --enable-feature=native-histograms, scraping a loopback target in the
# protobuf format, tests/e2e/nhist_target.py) through heed's datasource:
# heed's answers must be Prometheus's (tests/e2e/nhist_check.py).
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$PWD/bin/heed}
. tests/e2e/lib.sh
if ! e2e_have_prometheus; then
    echo "skip: prometheus not installed ($E2E_PROMETHEUS)"
    echo "0 passed, 0 failed"
    exit 0
fi
e2e_init
python3 tests/e2e/nhist_target.py "$E2E_DIR/tport" &
e2e_track $!
n=0
while [ ! -s "$E2E_DIR/tport" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
[ -s "$E2E_DIR/tport" ] || { echo "not ok: the target did not start"; echo "0 passed, 1 failed"; exit 1; }
e2e_prometheus_config "127.0.0.1:$(cat "$E2E_DIR/tport")" 1s
port=$(e2e_free_port)
"$E2E_PROMETHEUS" --config.file="$E2E_DIR/prometheus.yml" --storage.tsdb.path="$E2E_DIR/prom-data" \
    --web.listen-address="127.0.0.1:$port" --enable-feature=native-histograms --log.level=warn \
    >"$E2E_DIR/prometheus.log" 2>&1 &
e2e_track $!
URL=http://127.0.0.1:$port
e2e_wait_url "$URL/-/ready" 60 || { echo "not ok: prometheus did not start"; echo "0 passed, 1 failed"; exit 1; }
# Six scrapes or more: enough for rate over 5 s.
n=0
while [ $n -lt 150 ]; do
    c=$(curl -s "$URL/api/v1/query" --data-urlencode 'query=count_over_time(h{exported_job="a"}[1m])' |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(int(r[0]["value"][1]) if r else 0)')
    [ "$c" -ge 7 ] && break
    sleep 0.2
    n=$((n + 1))
done
python3 -u tests/e2e/nhist_check.py "$URL" "$HEED" >"$E2E_DIR/out" 2>&1
rc=$?
cat "$E2E_DIR/out"
tail -n 1 "$E2E_DIR/out" | grep -qE '^[0-9]+ passed, [0-9]+ failed$' || {
    echo "not ok: the check ended without its summary (exit $rc)"
    echo "0 passed, 1 failed"
    exit 1
}
exit $rc
