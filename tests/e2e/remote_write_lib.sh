# Helpers for the remote-write end-to-end suite (sourced, POSIX sh).
# Everything listens on 127.0.0.1 only; every process started here is
# recorded and stopped by rw_cleanup, which the suite runs from its trap.

RW_PIDS=""
RW_TMP=""
RW_PASS=0
RW_FAIL=0

rw_tmpdir() {
    RW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/heed-rw.XXXXXX") || exit 2
}

# A TCP port nobody listens on right now (the kernel picks it).
rw_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# rw_wait_http URL SECONDS: waits until URL answers 200.
rw_wait_http() {
    i=0
    while [ "$i" -lt $(($2 * 10)) ]; do
        curl --noproxy "*" -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# rw_prometheus_start PORT: Prometheus with the remote-write receiver on
# (native histograms accepted), its own temporary TSDB and a configuration
# without scrape jobs.
rw_prometheus_start() {
    port=$1
    mkdir -p "$RW_TMP/tsdb"
    printf 'global:\n  evaluation_interval: 1m\n' > "$RW_TMP/prometheus.yml"
    prometheus --config.file="$RW_TMP/prometheus.yml" \
        --web.listen-address="127.0.0.1:$port" \
        --storage.tsdb.path="$RW_TMP/tsdb" \
        --web.enable-remote-write-receiver \
        --enable-feature=native-histograms \
        > "$RW_TMP/prometheus.log" 2>&1 &
    RW_PIDS="$RW_PIDS $!"
    rw_wait_http "http://127.0.0.1:$port/-/ready" 30
}

# Starts a background process given as arguments and records its pid.
rw_spawn() {
    "$@" &
    RW_PIDS="$RW_PIDS $!"
}

rw_cleanup() {
    for pid in $RW_PIDS; do
        kill "$pid" 2>/dev/null
    done
    for pid in $RW_PIDS; do
        wait "$pid" 2>/dev/null
    done
    RW_PIDS=""
    [ -n "$RW_TMP" ] && rm -rf "$RW_TMP"
}

# rw_query PORT EXPR TIME_SECONDS: prints the /api/v1/query JSON answer.
rw_query() {
    curl --noproxy "*" -fsS "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" --data-urlencode "time=$3"
}

# rw_vector_summary: reads a query answer on stdin and prints one line per
# result, "label=value,... value", labels sorted, so tests compare plain text.
rw_vector_summary() {
    python3 -c '
import json, sys
doc = json.load(sys.stdin)
assert doc["status"] == "success", doc
for r in sorted(doc["data"]["result"], key=lambda r: sorted(r["metric"].items())):
    labels = ",".join("%s=%s" % kv for kv in sorted(r["metric"].items()))
    print(labels, r["value"][1])
'
}

# rw_check NAME COMMAND...: one test case; counts and reports it.
rw_check() {
    name=$1
    shift
    if "$@"; then
        RW_PASS=$((RW_PASS + 1))
        echo "ok: $name"
    else
        RW_FAIL=$((RW_FAIL + 1))
        echo "not ok: $name"
    fi
}

# rw_expect_eq WHAT GOT WANT
rw_expect_eq() {
    [ "$2" = "$3" ] && return 0
    printf '  %s:\n    got:  %s\n    want: %s\n' "$1" "$2" "$3"
    return 1
}

# rw_wait_port PORT SECONDS: waits until something accepts on 127.0.0.1:PORT.
rw_wait_port() {
    python3 -c '
import socket, sys, time
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' "$1" "$2"
}

# rw_make_certs DIR: a throwaway CA, a server certificate for IP 127.0.0.1
# and a client certificate (CN heed-client), all signed by the CA.
rw_make_certs() {
    d=$1
    key="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    openssl req -x509 $key -keyout "$d/ca.key" -out "$d/ca.crt" -days 1 -subj /CN=heed-test-ca &&
        openssl req $key -keyout "$d/server.key" -out "$d/server.csr" -subj /CN=127.0.0.1 &&
        printf 'subjectAltName=IP:127.0.0.1\n' > "$d/san.ext" &&
        openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
            -out "$d/server.crt" -days 1 -extfile "$d/san.ext" &&
        openssl req $key -keyout "$d/client.key" -out "$d/client.csr" -subj /CN=heed-client &&
        openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
            -out "$d/client.crt" -days 1
}
