#!/bin/sh
# Load figures for heed's API: the API test binary serves a generated
# fixture of N firing alerts (default 10,000) on 127.0.0.1, and wrk (Debian's
# wrk package) drives /api/v1/alerts and /metrics over loopback.
#   BUILD=build/release bench/api_load.sh [alerts] [seconds] [connections]
# Prints requests/s and the p50/p99 latency per endpoint.
set -eu
: "${BUILD:=build/release}"
alerts=${1:-10000}
secs=${2:-10}
conns=${3:-16}
command -v wrk >/dev/null || { echo "api_load: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
tmp=$(mktemp -d /tmp/heed-load-XXXXXX)
"$BUILD/tests/api_server_test" --serve "$tmp/port" "$alerts" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$tmp/port")
for ep in /api/v1/alerts /metrics; do
    size=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port$ep")
    wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port$ep" >"$tmp/wrk.txt" 2>&1
    rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.txt")
    echo "$ep alerts=$alerts body=${size}B connections=$conns: $rps req/s, p50 $p50, p99 $p99"
done
