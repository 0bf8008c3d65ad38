#!/bin/sh
# Staleness markers through the query API (FRESHNESS.md, "Fetching raw
# samples"): the real Prometheus scrapes a loopback target of this test every
# second; the target then drops a series, fails altogether, and brings a
# series back. Raw range results hide the markers Prometheus wrote; heed's
# storage path must reconstruct them so that instant selection over heed's
# samples gives Prometheus's own answer (tests/e2e/staleness_check.py).
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

expo=$E2E_DIR/exposition
printf '# TYPE kept gauge\nkept 1\n# TYPE dropped gauge\ndropped 2\n# TYPE flappy gauge\nflappy 3\n' >"$expo"
python3 tests/e2e/scrape_target.py "$E2E_DIR/tport" "$expo" &
e2e_track $!
n=0
while [ ! -s "$E2E_DIR/tport" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
e2e_prometheus_config "127.0.0.1:$(cat "$E2E_DIR/tport")" 1s
e2e_prometheus_start || { echo "0 passed, 1 failed"; exit 1; }
URL=$E2E_PROM_URL

# Replaces the exposition atomically (a scrape never sees a half-written file).
expose() {
    printf "$1" >"$expo.tmp" && mv "$expo.tmp" "$expo"
}

now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

# Waits until SELECTOR has at least N samples in the last minute.
wait_samples() {
    n=0
    while [ $n -lt 120 ]; do
        c=$(curl -s "$URL/api/v1/query" --data-urlencode "query=count_over_time($1[1m])" |
            python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(int(r[0]["value"][1]) if r else 0)')
        [ "$c" -ge "$2" ] && return 0
        sleep 0.5
        n=$((n + 1))
    done
    return 1
}

check() {
    TMPDIR=$E2E_DIR python3 -u tests/e2e/staleness_check.py "$URL" "$HEED" "$@" >"$E2E_DIR/check" 2>&1 || echo "not ok: $* crashed" >>"$E2E_DIR/check"
    cat "$E2E_DIR/check"
    E2E_PASS=$((E2E_PASS + $(grep -c '^ok:' "$E2E_DIR/check")))
    E2E_FAIL=$((E2E_FAIL + $(grep -c '^not ok:' "$E2E_DIR/check")))
}

wait_samples dropped 4 || { echo "not ok: no scrapes"; echo "0 passed, 1 failed"; exit 1; }

# 1. A series disappears from a successful scrape.
t0=$(now_ms)
expose '# TYPE kept gauge\nkept 1\n# TYPE flappy gauge\nflappy 3\n'
sleep 3
check dropped $((t0 - 2000)) "$(now_ms)" "series dropped from the exposition" \
    --expr dropped --expr 'count({__name__=~"dropped|kept"})' --expr 'max_over_time(dropped[2s:250ms])'


# 2. A series leaves and comes back: the marker lies inside the fetched
#    window, before newer samples.
expose '# TYPE kept gauge\nkept 1\n'
sleep 3
expose '# TYPE kept gauge\nkept 1\n# TYPE flappy gauge\nflappy 4\n'
sleep 3
t1=$(now_ms)
check flappy $((t1 - 7000)) "$t1" "series gone for 3 s and back" \
    --expr flappy --expr 'count_over_time(flappy[3s:100ms])'


# 3. The whole target fails: every series of it gets a marker.
t2=$(now_ms)
expose 'DOWN\n'
sleep 3
check '{job="target",__name__=~"kept|flappy"}' $((t2 - 1500)) "$(now_ms)" "target failing (HTTP 500)" \
    --expr 'sum({job="target"})' --expr 'absent(kept)' 

# Without reconstruction, heed would see the series up to 5 minutes longer.
last=$(now_ms)
"$HEED" fetch --datasource "$URL" --time "$((last / 1000)).$(printf %03d $((last % 1000)))" --exact \
    --no-exact-staleness 'kept[5m]' >"$E2E_DIR/raw"
if grep -q stale "$E2E_DIR/raw"; then
    e2e_not_ok "--no-exact-staleness still placed markers"
else
    e2e_ok "raw range results carry no staleness markers (reconstruction is needed)"
fi

e2e_summary
