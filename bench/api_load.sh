#!/bin/sh
# Load figures for heed's API, in two parts, everything on 127.0.0.1.
# 1. The API test binary serves a generated fixture of N firing alerts
#    (default 10,000) and wrk (Debian's wrk package) drives /api/v1/alerts
#    and /metrics: requests/s and p50/p99 latency per endpoint.
# 2. `heed run` evaluates N firing alert instances (a stub datasource,
#    bench/api_load_stub.py, answers N series) in a 2 s group, next to a 1 s
#    group that needs no data. bench/api_lag.py reads heed's own /metrics
#    (heed_rule_group_evaluation_lag_seconds and
#    prometheus_rule_group_last_evaluation_timestamp_seconds) to measure how
#    late each iteration starts and how regular the starts are, first without
#    load, then while wrk hammers /api/v1/alerts and /metrics of that daemon.
#   BUILD=build/release bench/api_load.sh [alerts] [seconds] [connections]
set -eu
: "${BUILD:=build/release}"
HEED=${HEED:-bin/heed}
alerts=${1:-10000}
secs=${2:-10}
conns=${3:-16}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "api_load: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
tmp=$(mktemp -d /tmp/heed-load-XXXXXX)
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
wait_file() {
    i=0
    while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
# load URL SECONDS CONNECTIONS LABEL: one wrk run, one summary line.
load() {
    out="$tmp/wrk.$(echo "$1" | tr -c 'a-z0-9' _).txt"
    size=$(curl -s -o /dev/null -w '%{size_download}' "$1")
    wrk -t2 -c"$3" -d"${2}s" --latency "$1" >"$out" 2>&1
    rps=$(awk '/Requests\/sec/ {print $2}' "$out")
    p50=$(awk '$1 == "50%" {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    echo "$4 body=${size}B connections=$3: $rps req/s, p50 $p50, p99 $p99"
}

echo "== API server alone (fixture of $alerts alerts)"
"$BUILD/tests/api_server_test" --serve "$tmp/port" "$alerts" &
pids="$pids $!"
wait_file "$tmp/port"
port=$(cat "$tmp/port")
for ep in /api/v1/alerts /metrics; do
    load "http://127.0.0.1:$port$ep" "$secs" "$conns" "$ep alerts=$alerts"
done

echo "== heed run with $alerts firing alert instances"
mkdir -p "$tmp/ds"
python3 "$here/api_load_stub.py" "$tmp/ds" "$alerts" &
pids="$pids $!"
wait_file "$tmp/ds/port"
webport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/rules.yml" <<'YML'
groups:
  - name: load
    interval: 2s
    rules:
      - alert: LoadHigh
        expr: load_metric > 0
        labels: {severity: page}
        annotations: {summary: "{{ $labels.instance }} is loaded"}
  - name: light
    interval: 1s
    rules:
      - record: light:one
        expr: vector(1)
YML
cat >"$tmp/heed.yml" <<YML
datasource: {url: "http://127.0.0.1:$(cat "$tmp/ds/port")"}
rule_files: [rules.yml]
lookback_delta: 15s
web: {listen_address: "127.0.0.1:$webport"}
YML
"$HEED" run --config "$tmp/heed.yml" >"$tmp/heed.log" 2>&1 &
pids="$pids $!"
H="http://127.0.0.1:$webport"
i=0
until [ "$(curl -s "$H/metrics" | awk '/^heed_alerts\{.*state="firing"/ {n += $2} END {print n + 0}')" -ge "$alerts" ]; do
    i=$((i + 1))
    if [ $i -gt 600 ]; then
        echo "api_load: heed run did not fire $alerts alerts in time" >&2
        tail -5 "$tmp/heed.log" >&2
        exit 1
    fi
    sleep 0.1
done
lagsecs=$((secs * 2))
echo "schedule without load (${lagsecs}s):"
python3 "$here/api_lag.py" "$H/metrics" "$lagsecs"
echo "schedule while wrk drives /api/v1/alerts and /metrics (${lagsecs}s):"
python3 "$here/api_lag.py" "$H/metrics" "$lagsecs" >"$tmp/lag.txt" &
lagpid=$!
half=$((conns / 2))
[ "$half" -ge 1 ] || half=1
load "$H/api/v1/alerts" "$lagsecs" "$half" "heed run /api/v1/alerts alerts=$alerts" >"$tmp/a.txt" &
apid=$!
load "$H/metrics" "$lagsecs" "$half" "heed run /metrics alerts=$alerts" >"$tmp/m.txt"
wait "$apid"
wait "$lagpid"
cat "$tmp/lag.txt" "$tmp/a.txt" "$tmp/m.txt"
