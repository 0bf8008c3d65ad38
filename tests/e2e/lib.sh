# tests/e2e/lib.sh: shell helpers for end-to-end tests against the real
# Prometheus and Alertmanager. Source it from a POSIX sh test script:
#
#   . "$(dirname "$0")/../e2e/lib.sh"
#   e2e_init                                # temp folder + cleanup trap
#   e2e_backfill data.om                    # optional, before the start
#   e2e_prometheus_start                    # sets E2E_PROM_URL
#   ... curl "$E2E_PROM_URL/api/v1/query" ...
#
# Every server listens on 127.0.0.1 only, on a free port, with its data in
# the test's temporary folder ($BUILD/tmp/heed-e2e.* under the test runner,
# else $TMPDIR or /tmp). e2e_init installs an EXIT/INT/TERM trap that
# stops every process started here (by its pid, never by name) and removes
# the folder, so a failing or interrupted test leaves nothing running.

E2E_PROMETHEUS=${E2E_PROMETHEUS:-/usr/bin/prometheus}
E2E_PROMTOOL=${E2E_PROMTOOL:-/usr/bin/promtool}
E2E_ALERTMANAGER=${E2E_ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
E2E_PIDS=""
E2E_DIR=""

# Stops every process this test started, then removes the temp folder.
e2e_cleanup() {
    for pid in $E2E_PIDS; do
        kill "$pid" 2>/dev/null
    done
    for pid in $E2E_PIDS; do
        # Give each a few seconds to exit cleanly, then insist.
        n=0
        while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
            sleep 0.1
            n=$((n + 1))
        done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    E2E_PIDS=""
    [ -n "$E2E_DIR" ] && [ "${E2E_KEEP:-0}" != 1 ] && rm -rf "$E2E_DIR"
    E2E_DIR=""
}

e2e_init() {
    # Under the build folder when the test runner says where it is: shared
    # /tmp is swept by other jobs on busy machines.
    base=${TMPDIR:-/tmp}
    if [ -n "${BUILD:-}" ]; then
        base=$BUILD/tmp
        mkdir -p "$base" || exit 2
    fi
    E2E_DIR=$(mktemp -d "$base/heed-e2e.XXXXXX") || exit 2
    trap 'e2e_cleanup' EXIT
    trap 'e2e_cleanup; exit 130' INT
    trap 'e2e_cleanup; exit 143' TERM
}

# Remembers a pid for the cleanup trap.
e2e_track() {
    E2E_PIDS="$E2E_PIDS $1"
}

# Stops one tracked process now (and forgets it).
e2e_stop() {
    pid=$1
    kill "$pid" 2>/dev/null
    n=0
    while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rest=""
    for p in $E2E_PIDS; do
        [ "$p" = "$pid" ] || rest="$rest $p"
    done
    E2E_PIDS=$rest
}

# Prints a TCP port on 127.0.0.1 that is free right now.
e2e_free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# e2e_wait_url URL [SECONDS]: waits until URL answers 200; 0 ok, 1 timeout.
e2e_wait_url() {
    url=$1
    limit=${2:-30}
    n=0
    while [ $n -lt $((limit * 10)) ]; do
        if curl -s -o /dev/null -f --max-time 1 "$url" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}

# e2e_have_prometheus: 0 when the real Prometheus and promtool are installed.
e2e_have_prometheus() {
    [ -x "$E2E_PROMETHEUS" ] && [ -x "$E2E_PROMTOOL" ]
}

e2e_have_alertmanager() {
    [ -x "$E2E_ALERTMANAGER" ]
}

# e2e_backfill FILE: turns an OpenMetrics file (with timestamps and # EOF)
# into TSDB blocks in the Prometheus data folder, before the server starts.
e2e_backfill() {
    mkdir -p "$E2E_DIR/prom-data"
    "$E2E_PROMTOOL" tsdb create-blocks-from openmetrics "$1" "$E2E_DIR/prom-data" \
        >"$E2E_DIR/backfill.log" 2>&1 || {
        echo "e2e: promtool backfill of $1 failed:" >&2
        cat "$E2E_DIR/backfill.log" >&2
        return 1
    }
}

# e2e_prometheus_config [TARGET [INTERVAL]]: writes the config file; with a
# TARGET (host:port on 127.0.0.1) one scrape job "target" scrapes it.
e2e_prometheus_config() {
    cfg=$E2E_DIR/prometheus.yml
    interval=${2:-1s}
    {
        echo "global:"
        echo "  scrape_interval: $interval"
        echo "  evaluation_interval: $interval"
        if [ -n "${1:-}" ]; then
            echo "scrape_configs:"
            echo "  - job_name: target"
            echo "    scrape_interval: $interval"
            echo "    scrape_timeout: $interval"
            echo "    static_configs:"
            echo "      - targets: ['$1']"
        fi
    } >"$cfg"
}

# e2e_prometheus_start [TARGET [INTERVAL]]: starts Prometheus on a free port
# of 127.0.0.1 and waits for /-/ready. Sets E2E_PROM_URL and E2E_PROM_PID.
e2e_prometheus_start() {
    [ -f "$E2E_DIR/prometheus.yml" ] || e2e_prometheus_config "$@"
    mkdir -p "$E2E_DIR/prom-data"
    port=$(e2e_free_port)
    "$E2E_PROMETHEUS" \
        --config.file="$E2E_DIR/prometheus.yml" \
        --storage.tsdb.path="$E2E_DIR/prom-data" \
        --storage.tsdb.retention.time=100y \
        --web.listen-address="127.0.0.1:$port" \
        --web.enable-remote-write-receiver \
        --log.level=warn \
        >"$E2E_DIR/prometheus.log" 2>&1 &
    E2E_PROM_PID=$!
    e2e_track $E2E_PROM_PID
    E2E_PROM_URL="http://127.0.0.1:$port"
    if ! e2e_wait_url "$E2E_PROM_URL/-/ready" 60; then
        echo "e2e: prometheus did not become ready; its log:" >&2
        tail -n 20 "$E2E_DIR/prometheus.log" >&2
        return 1
    fi
}

# e2e_alertmanager_start: starts Alertmanager without clustering on a free
# port of 127.0.0.1. Sets E2E_AM_URL and E2E_AM_PID.
e2e_alertmanager_start() {
    cfg=$E2E_DIR/alertmanager.yml
    [ -f "$cfg" ] || cat >"$cfg" <<'EOF'
route:
  receiver: blackhole
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: blackhole
EOF
    mkdir -p "$E2E_DIR/am-data"
    port=$(e2e_free_port)
    "$E2E_ALERTMANAGER" \
        --config.file="$cfg" \
        --storage.path="$E2E_DIR/am-data" \
        --web.listen-address="127.0.0.1:$port" \
        --cluster.listen-address= \
        --log.level=warn \
        >"$E2E_DIR/alertmanager.log" 2>&1 &
    E2E_AM_PID=$!
    e2e_track $E2E_AM_PID
    E2E_AM_URL="http://127.0.0.1:$port"
    if ! e2e_wait_url "$E2E_AM_URL/-/ready" 30; then
        echo "e2e: alertmanager did not become ready; its log:" >&2
        tail -n 20 "$E2E_DIR/alertmanager.log" >&2
        return 1
    fi
}

# Counters for suites that print "N passed, N failed".
E2E_PASS=0
E2E_FAIL=0
e2e_ok() {
    E2E_PASS=$((E2E_PASS + 1))
    echo "ok: $*"
}
e2e_not_ok() {
    E2E_FAIL=$((E2E_FAIL + 1))
    echo "not ok: $*"
}
e2e_summary() {
    echo "$E2E_PASS passed, $E2E_FAIL failed"
    [ "$E2E_FAIL" = 0 ]
}
