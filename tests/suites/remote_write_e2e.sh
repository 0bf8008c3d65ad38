#!/bin/sh
# End-to-end: samples written with `heed remote-write` arrive in the real
# Prometheus (remote-write receiver on, 127.0.0.1, own temporary TSDB, no
# scrape jobs) and are read back through /api/v1/query. Cases Prometheus
# cannot produce (5xx, 429, Retry-After, auth headers) use a scripted
# receiver. Skips (exit 0) only when prometheus is not installed.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/remote_write_lib.sh
HEED=${HEED:-$PWD/bin/heed}

if ! command -v prometheus >/dev/null 2>&1; then
    echo "skip: prometheus is not installed (make deps installs it)"
    echo "0 passed, 0 failed"
    exit 0
fi

trap rw_cleanup EXIT
trap 'exit 2' INT TERM
rw_tmpdir
PORT=$(rw_free_port)
if ! rw_prometheus_start "$PORT"; then
    echo "prometheus did not become ready on 127.0.0.1:$PORT:"
    tail -n 20 "$RW_TMP/prometheus.log"
    echo "0 passed, 1 failed"
    exit 1
fi
URL=http://127.0.0.1:$PORT/api/v1/write
# Whole seconds, five minutes back: inside the TSDB head and the lookback.
T_S=$(($(date +%s) - 300))
T=$((T_S * 1000))

# rw_send ARGS...: runs heed remote-write; its stdout (the counters) in $OUT, exit code in $RC.
rw_send() {
    OUT=$("$HEED" remote-write "$@" 2>"$RW_TMP/stderr")
    RC=$?
}

# q EXPR TIME: the query answer as sorted "labels value" lines.
q() {
    rw_query "$PORT" "$1" "$2" | rw_vector_summary
}

case_labels() {
    rw_send --url "$URL" --label extra=yes 'heed_e2e_basic{zone="b",job="rw",instance="i1"}' 42.5 "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "counters" "$OUT" "sent=1 failed=0 retried=0 dropped=0 requests=1 bytes=$(echo "$OUT" | sed 's/.*bytes=//')" &&
        rw_expect_eq "query" "$(q heed_e2e_basic "$T_S")" \
            "__name__=heed_e2e_basic,extra=yes,instance=i1,job=rw,zone=b 42.5"
}

case_escapes() {
    rw_send --url "$URL" 'heed_e2e_escape{path="C:\\dir \"x\"",greeting="grüße",tab="a\tb"}' 1 "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "query" "$(q heed_e2e_escape "$T_S")" \
            "$(printf '__name__=heed_e2e_escape,greeting=grüße,path=C:\\dir "x",tab=a\tb 1')"
}

case_values() {
    rw_send --url "$URL" \
        'heed_e2e_values{v="inf"}' +Inf "$T" 'heed_e2e_values{v="neginf"}' -Inf "$T" \
        'heed_e2e_values{v="tenth"}' 0.1 "$T" 'heed_e2e_values{v="tiny"}' -2.5e-10 "$T" \
        'heed_e2e_values{v="zero"}' 0 "$T" 'heed_e2e_values{v="nan"}' NaN "$T" \
        'heed_e2e_values{v="big"}' 1e300 "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "one request" "$(echo "$OUT" | sed 's/ bytes=.*//')" \
            "sent=7 failed=0 retried=0 dropped=0 requests=1" &&
        rw_expect_eq "query" "$(q heed_e2e_values "$T_S")" "$(printf '%s\n' \
            "__name__=heed_e2e_values,v=big 1e+300" \
            "__name__=heed_e2e_values,v=inf +Inf" \
            "__name__=heed_e2e_values,v=nan NaN" \
            "__name__=heed_e2e_values,v=neginf -Inf" \
            "__name__=heed_e2e_values,v=tenth 0.1" \
            "__name__=heed_e2e_values,v=tiny -2.5e-10" \
            "__name__=heed_e2e_values,v=zero 0")"
}

case_batches() {
    rw_send --url "$URL" --max-samples-per-send 2 \
        'heed_e2e_batch{i="1"}' 1 "$T" 'heed_e2e_batch{i="2"}' 2 "$T" 'heed_e2e_batch{i="3"}' 3 "$T" \
        'heed_e2e_batch{i="4"}' 4 "$T" 'heed_e2e_batch{i="5"}' 5 "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "three requests" "$(echo "$OUT" | sed 's/ bytes=.*//')" \
            "sent=5 failed=0 retried=0 dropped=0 requests=3" &&
        rw_expect_eq "query" "$(q 'sum(heed_e2e_batch)' "$T_S")" " 15"
}

case_timestamps() {
    rw_send --url "$URL" 'heed_e2e_ts' 1 $((T - 60000)) 'heed_e2e_ts' 2 $((T - 30000)) &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "at T-45s" "$(q heed_e2e_ts $((T_S - 45)))" "__name__=heed_e2e_ts 1" &&
        rw_expect_eq "at T-20s" "$(q heed_e2e_ts $((T_S - 20)))" "__name__=heed_e2e_ts 2" &&
        rw_expect_eq "before" "$(q heed_e2e_ts $((T_S - 61)))" ""
}

# A float native histogram (what a recording rule over native histograms
# produces) read back as Prometheus decoded it: count, sum and each
# bucket's bounds and population (schema 0: (1,2] and (2,4]).
case_histogram() {
    rw_send --url "$URL" 'heed_e2e_hist{job="rw"}' \
        '{{schema:0 sum:1.5 count:3 buckets:[1 2] offset:1 z_bucket:0 z_bucket_w:0.001}}' "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "query" "$(rw_query "$PORT" heed_e2e_hist "$T_S" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
for s in r:
    h = s["histogram"][1]
    print(s["metric"]["__name__"], h["count"], h["sum"], " ".join("%s:%s:%s" % (b[1], b[2], b[3]) for b in h["buckets"]))')" \
            "heed_e2e_hist 3 1.5 1:2:1 2:4:2"
}

case_stale() {
    rw_send --url "$URL" 'heed_e2e_stale{s="a"}' 7 "$T" 'heed_e2e_stale{s="b"}' 8 "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_send --url "$URL" 'heed_e2e_stale{s="a"}' stale $((T + 1000)) &&
        rw_expect_eq "exit (marker)" "$RC" 0 &&
        rw_expect_eq "before the marker" "$(q heed_e2e_stale "$T_S.5")" "$(printf '%s\n' \
            "__name__=heed_e2e_stale,s=a 7" "__name__=heed_e2e_stale,s=b 8")" &&
        rw_expect_eq "at the marker" "$(q heed_e2e_stale $((T_S + 1)))" "__name__=heed_e2e_stale,s=b 8" &&
        rw_expect_eq "after the marker" "$(q heed_e2e_stale $((T_S + 60)))" "__name__=heed_e2e_stale,s=b 8"
}

case_out_of_order() {
    rw_send --url "$URL" --min-backoff 0.01 'heed_e2e_basic{zone="b",job="rw",instance="i1"}' --label extra=yes \
        99 $((T - 100000))
    rw_expect_eq "exit" "$RC" 1 &&
        rw_expect_eq "counters" "$(echo "$OUT" | sed 's/ bytes=.*//')" \
            "sent=0 failed=1 retried=0 dropped=0 requests=1" &&
        grep -q 'HTTP 400: out of order sample' "$RW_TMP/stderr" &&
        rw_expect_eq "query" "$(q heed_e2e_basic "$T_S")" \
            "__name__=heed_e2e_basic,extra=yes,instance=i1,job=rw,zone=b 42.5"
}

case_empty_value() {
    rw_send --url "$URL" 'heed_e2e_empty{a="",b="c"}' 3 "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "query" "$(q heed_e2e_empty "$T_S")" "__name__=heed_e2e_empty,b=c 3"
}

case_invalid() {
    rw_send --url "$URL" 'heed_e2e_bad{a="x",a="y"}' 1 "$T"
    rw_expect_eq "exit" "$RC" 2 &&
        grep -q 'duplicate label name "a"' "$RW_TMP/stderr" &&
        rw_expect_eq "query" "$(q heed_e2e_bad "$T_S")" ""
}

case_refused() {
    dead=$(rw_free_port)
    start=$(date +%s)
    rw_send --url "http://127.0.0.1:$dead/api/v1/write" --min-backoff 0.05 --flush-deadline 1 'heed_e2e_dead' 1 "$T"
    took=$(($(date +%s) - start))
    rw_expect_eq "exit" "$RC" 1 &&
        echo "$OUT" | grep -q '^sent=0 failed=0 retried=[1-9][0-9]* dropped=1 ' &&
        [ "$took" -le 4 ] &&
        grep -q 'retrying' "$RW_TMP/stderr"
}

# ---- the scripted receiver ----
FAKE_PORT=$(rw_free_port)
FAKE_URL=http://127.0.0.1:$FAKE_PORT/receive
: > "$RW_TMP/fake_status"
rw_spawn python3 tests/e2e/remote_write_fake_receiver.py "$FAKE_PORT" "$RW_TMP/fake_status" "$RW_TMP/fake_log"
rw_wait_http "http://127.0.0.1:$FAKE_PORT/" 10 || echo "fake receiver did not start"

# fake STATUS...: the next replies, and an empty request log.
fake() {
    printf '%s\n' "$@" > "$RW_TMP/fake_status"
    : > "$RW_TMP/fake_log"
}

# fake_log PYTHON_EXPR: evaluates the expression over `reqs`, the logged requests.
fake_log() {
    python3 -c "
import json
reqs = [json.loads(l) for l in open('$RW_TMP/fake_log')]
print($1)"
}

case_headers() {
    printf ' s3cr3t-token \n' > "$RW_TMP/token"
    fake 204
    rw_send --url "$FAKE_URL" --bearer-token-file "$RW_TMP/token" --header 'X-Scope-OrgID: tenant-1' 'heed_h' 1 "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "headers" "$(fake_log "[(r['path'], r['headers'].get('content-encoding'), r['headers'].get('content-type'), r['headers'].get('x-prometheus-remote-write-version'), r['headers'].get('user-agent'), r['headers'].get('authorization'), r['headers'].get('x-scope-orgid')) for r in reqs]")" \
            "[('/receive', 'snappy', 'application/x-protobuf', '0.1.0', 'heed/0.1.0', 'Bearer s3cr3t-token', 'tenant-1')]"
}

case_basic_auth() {
    printf 'pa:ss\n' > "$RW_TMP/password"
    fake 204
    rw_send --url "$FAKE_URL" --basic-auth-user heed --basic-auth-password-file "$RW_TMP/password" 'heed_h' 1 "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "authorization" "$(fake_log "[r['headers'].get('authorization') for r in reqs]")" \
            "['Basic $(printf 'heed:pa:ss' | base64)']"
}

case_retry_5xx() {
    fake "503 1" 500 204
    rw_send --url "$FAKE_URL" --min-backoff 0.05 'heed_h' 1 "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "counters" "$(echo "$OUT" | sed 's/ bytes=.*//')" \
            "sent=1 failed=0 retried=2 dropped=0 requests=3" &&
        rw_expect_eq "same body each time" "$(fake_log "len(set(r['size'] for r in reqs))")" 1 &&
        rw_expect_eq "waited for Retry-After: 1" "$(fake_log "reqs[1]['t'] - reqs[0]['t'] >= 0.95")" True &&
        rw_expect_eq "then backoff (0.1s)" "$(fake_log "0.08 <= reqs[2]['t'] - reqs[1]['t'] < 0.9")" True
}

case_429() {
    fake 429 204
    rw_send --url "$FAKE_URL" --min-backoff 0.01 'heed_h' 1 "$T"
    rw_expect_eq "exit" "$RC" 1 &&
        rw_expect_eq "not retried" "$(echo "$OUT" | sed 's/ bytes=.*//')" \
            "sent=0 failed=1 retried=0 dropped=0 requests=1" &&
        grep -q 'HTTP 429: scripted failure' "$RW_TMP/stderr" &&
        fake 429 204 &&
        rw_send --url "$FAKE_URL" --min-backoff 0.01 --retry-on-429 'heed_h' 1 "$T" &&
        rw_expect_eq "retried with --retry-on-429" "$(echo "$OUT" | sed 's/ bytes=.*//')" \
            "sent=1 failed=0 retried=1 dropped=0 requests=2"
}

case_4xx() {
    fake 400 204
    rw_send --url "$FAKE_URL" --min-backoff 0.01 'heed_h' 1 "$T"
    rw_expect_eq "exit" "$RC" 1 &&
        rw_expect_eq "one request" "$(fake_log "len(reqs)")" 1
}

# ---- TLS: two more scripted receivers, server-only and mutual ----
mkdir -p "$RW_TMP/certs"
if rw_make_certs "$RW_TMP/certs" > "$RW_TMP/certs/openssl.log" 2>&1; then
    TLS_PORT=$(rw_free_port)
    MTLS_PORT=$(rw_free_port)
    : > "$RW_TMP/tls_status"
    : > "$RW_TMP/mtls_status"
    FAKE_TLS_CERT=$RW_TMP/certs/server.crt FAKE_TLS_KEY=$RW_TMP/certs/server.key \
        rw_spawn python3 tests/e2e/remote_write_fake_receiver.py "$TLS_PORT" "$RW_TMP/tls_status" "$RW_TMP/tls_log"
    FAKE_TLS_CERT=$RW_TMP/certs/server.crt FAKE_TLS_KEY=$RW_TMP/certs/server.key \
        FAKE_TLS_CLIENT_CA=$RW_TMP/certs/ca.crt \
        rw_spawn python3 tests/e2e/remote_write_fake_receiver.py "$MTLS_PORT" "$RW_TMP/mtls_status" "$RW_TMP/mtls_log"
    rw_wait_port "$TLS_PORT" 10 && rw_wait_port "$MTLS_PORT" 10 || echo "TLS receivers did not start"
else
    echo "openssl could not make test certificates:"
    cat "$RW_TMP/certs/openssl.log"
fi

# requests LOG: how many POSTs a receiver logged.
requests() {
    [ -f "$1" ] && wc -l < "$1" | tr -d ' ' || echo 0
}

case_tls_ca() {
    rw_send --url "https://127.0.0.1:$TLS_PORT/receive" --tls-ca-file "$RW_TMP/certs/ca.crt" 'heed_tls' 1 "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "requests" "$(requests "$RW_TMP/tls_log")" 1
}

case_tls_unknown_ca() {
    rw_send --url "https://127.0.0.1:$TLS_PORT/receive" --min-backoff 0.05 --flush-deadline 0.3 'heed_tls' 1 "$T"
    rw_expect_eq "exit" "$RC" 1 &&
        echo "$OUT" | grep -q '^sent=0 failed=0 retried=[0-9]* dropped=1 ' &&
        grep -qi 'certificate' "$RW_TMP/stderr" &&
        rw_expect_eq "nothing delivered" "$(requests "$RW_TMP/tls_log")" 1
}

case_tls_insecure() {
    rw_send --url "https://127.0.0.1:$TLS_PORT/receive" --tls-insecure-skip-verify 'heed_tls' 1 "$T" &&
        rw_expect_eq "exit" "$RC" 0 &&
        rw_expect_eq "requests" "$(requests "$RW_TMP/tls_log")" 2
}

case_tls_client_cert() {
    rw_send --url "https://127.0.0.1:$MTLS_PORT/receive" --tls-ca-file "$RW_TMP/certs/ca.crt" \
        --min-backoff 0.05 --flush-deadline 0.3 'heed_tls' 1 "$T"
    rw_expect_eq "exit without a client certificate" "$RC" 1 &&
        rw_send --url "https://127.0.0.1:$MTLS_PORT/receive" --tls-ca-file "$RW_TMP/certs/ca.crt" \
            --tls-cert-file "$RW_TMP/certs/client.crt" --tls-key-file "$RW_TMP/certs/client.key" 'heed_tls' 1 "$T" &&
        rw_expect_eq "exit with it" "$RC" 0 &&
        rw_expect_eq "client seen" "$(python3 -c "
import json
print([json.loads(l)['client_cn'] for l in open('$RW_TMP/mtls_log')])")" "['heed-client']"
}

rw_check "sample arrives with its labels" case_labels
rw_check "label values with quotes, backslashes, tabs and UTF-8" case_escapes
rw_check "special float values in one request (0 too)" case_values
rw_check "max-samples-per-send splits a batch into requests" case_batches
rw_check "sample timestamps honoured" case_timestamps
rw_check "staleness marker hides the series" case_stale
rw_check "float native histogram accepted and decoded by Prometheus" case_histogram
rw_check "out-of-order sample: 400, counted failed, not retried" case_out_of_order
rw_check "empty label value not sent" case_empty_value
rw_check "duplicate label name refused before sending" case_invalid
rw_check "connection refused: retried, dropped at the flush deadline" case_refused
rw_check "protocol headers, bearer token file, extra header" case_headers
rw_check "basic auth from a password file" case_basic_auth
rw_check "5xx retried, Retry-After honoured, then backoff" case_retry_5xx
rw_check "429 not retried unless --retry-on-429" case_429
rw_check "400 not retried" case_4xx
rw_check "https verified with --tls-ca-file" case_tls_ca
rw_check "https with an unknown CA refused" case_tls_unknown_ca
rw_check "https with --tls-insecure-skip-verify" case_tls_insecure
rw_check "client certificate for mutual TLS" case_tls_client_cert

echo "$RW_PASS passed, $RW_FAIL failed"
[ "$RW_FAIL" = 0 ]
