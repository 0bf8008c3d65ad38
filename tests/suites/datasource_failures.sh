#!/bin/sh
# Failure behaviour of heed's datasource client against a loopback stub
# (tests/e2e/stub_prometheus.py): HTTP errors with and without Prometheus
# error bodies, malformed, truncated, slow and oversized bodies, retries,
# credentials. Each case must end with the right errorType and message, in
# bounded time and memory, and never print a secret.
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$PWD/bin/heed}
. tests/e2e/lib.sh
e2e_init

if ! command -v python3 >/dev/null; then
    echo "skip: python3 not installed"
    echo "0 passed, 0 failed"
    exit 0
fi

SECRET=tok-$$-s3cr3t
printf '%s\n' "$SECRET" >"$E2E_DIR/token"
printf 'pw-%s\n' "$$" >"$E2E_DIR/password"
python3 tests/e2e/stub_prometheus.py "$E2E_DIR/port" "$E2E_DIR/token" &
e2e_track $!
n=0
while [ ! -s "$E2E_DIR/port" ] && [ $n -lt 100 ]; do
    sleep 0.1
    n=$((n + 1))
done
PORT=$(cat "$E2E_DIR/port" 2>/dev/null)
[ -n "$PORT" ] || { echo "stub server did not start"; echo "0 passed, 1 failed"; exit 1; }
STUB=http://127.0.0.1:$PORT
TIME=1700000100

# Measures wall time (ms) and peak RSS (KiB) of one heed run.
have_gnu_time=0
/usr/bin/time -f %M true >/dev/null 2>&1 && have_gnu_time=1

# run_case NAME WANT_EXIT WANT_STDERR MAX_SECONDS MAX_RSS_KIB -- heed fetch args...
run_case() {
    name=$1 want_rc=$2 want_err=$3 max_s=$4 max_kib=$5
    shift 6
    start=$(date +%s%N)
    if [ $have_gnu_time = 1 ]; then
        timeout 60 /usr/bin/time -f %M -o "$E2E_DIR/rss" "$HEED" fetch --time $TIME "$@" \
            >"$E2E_DIR/out" 2>"$E2E_DIR/err"
    else
        timeout 60 "$HEED" fetch --time $TIME "$@" >"$E2E_DIR/out" 2>"$E2E_DIR/err"
    fi
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    rss=0
    [ $have_gnu_time = 1 ] && rss=$(tail -n 1 "$E2E_DIR/rss")
    # GNU time reports "Command exited with non-zero status" on its own line first.
    why=""
    [ "$rc" = "$want_rc" ] || why="exit $rc, want $want_rc"
    if [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$E2E_DIR/err"; then
        why="$why; stderr lacks '$want_err'"
    fi
    [ "$ms" -le $((max_s * 1000)) ] || why="$why; took ${ms} ms > ${max_s} s"
    if [ "$max_kib" != 0 ] && [ "$rss" -gt "$max_kib" ]; then
        why="$why; peak RSS ${rss} KiB > ${max_kib} KiB"
    fi
    if grep -qF -- "$SECRET" "$E2E_DIR/err" "$E2E_DIR/out" || grep -qF -- "pw-$$" "$E2E_DIR/err" "$E2E_DIR/out"; then
        why="$why; a secret was printed"
    fi
    if [ -z "$why" ]; then
        e2e_ok "$name (${ms} ms, ${rss} KiB)"
    else
        e2e_not_ok "$name: $why"
        sed 's/^/    stderr: /' "$E2E_DIR/err" | head -n 5
    fi
}

count_of() {
    curl -s "$STUB/$1/count"
}

# check NAME CONDITION-DESCRIPTION test-args...
check() {
    name=$1
    shift
    if "$@"; then e2e_ok "$name"; else e2e_not_ok "$name"; fi
}

run_case "valid response" 0 "" 10 0 -- --datasource "$STUB/ok" 'up[1m]'
check "valid response decoded" grep -q '^  1700000000123 1$' "$E2E_DIR/out"

run_case "500 with Prometheus error body" 1 "(internal): stub: something broke inside" 10 0 -- \
    --datasource "$STUB/500json" 'up[1m]'
run_case "500 without error body" 1 "(internal): server $STUB/500plain returned HTTP 500: Internal Server Error" \
    10 0 -- --datasource "$STUB/500plain" 'up[1m]'
check "500 not retried" [ "$(count_of 500plain)" = 1 ]

run_case "503 with timeout error body, retried" 1 "(timeout): query timed out in expression evaluation" 10 0 -- \
    --datasource "$STUB/503json" --retries 2 'up[1m]'
check "503 retried twice" [ "$(count_of 503json)" = 3 ]
run_case "503 HTML page" 1 "(unavailable): server $STUB/503plain returned HTTP 503: <html><body><h1>503" 10 0 -- \
    --datasource "$STUB/503plain" 'up[1m]'
run_case "502 then 200: retry succeeds" 0 "2 attempts" 10 0 -- --datasource "$STUB/502then200" 'up[1m]'
check "502 then 200 decoded" grep -q '^  1700000015123 0$' "$E2E_DIR/out"

run_case "422 execution error" 1 "(execution): query processing would load too many samples" 10 0 -- \
    --datasource "$STUB/422json" 'up[1m]'
run_case "400 bad_data error" 1 "(bad_data): invalid parameter \"query\"" 10 0 -- \
    --datasource "$STUB/400json" 'up[1m]'
check "400 not retried" [ "$(count_of 400json)" = 1 ]

run_case "malformed sample" 1 "(bad_response): unexpected number as sample value" 10 0 -- \
    --datasource "$STUB/malformed" 'up[1m]'
run_case "not JSON" 1 "(bad_response): malformed JSON at byte 1: lexical error: invalid string in json text; the body starts \"this is not JSON\"" 10 0 -- --datasource "$STUB/notjson" 'up[1m]'
run_case "empty body" 1 "(bad_response): empty response body" 10 0 -- --datasource "$STUB/empty" 'up[1m]'
run_case "truncated (short of Content-Length)" 1 "(bad_response): response from $STUB/truncated truncated" 10 0 -- \
    --datasource "$STUB/truncated" 'up[1m]'
run_case "truncated (connection closed mid-JSON)" 1 "(bad_response): truncated" 10 0 -- \
    --datasource "$STUB/truncatedclose" 'up[1m]'
run_case "slow body times out" 1 "(timeout): request to $STUB/slow timed out after 1000 ms" 4 0 -- \
    --datasource "$STUB/slow" --timeout 1 'up[1m]'
run_case "oversized body" 1 "(execution): response body exceeds the limit of 1000000 bytes" 10 40000 -- \
    --datasource "$STUB/oversized" --max-body-bytes 1000000 'up[1m]'
run_case "too many series" 1 "(execution): response has more than 5000 series" 10 40000 -- \
    --datasource "$STUB/oversized" --max-series 5000 'up[1m]'
run_case "too many samples" 1 "(execution): response has more than 100 samples" 10 40000 -- \
    --datasource "$STUB/oversized" --max-samples 100 'up[1m]'
run_case "large response streams in bounded memory" 0 "" 60 40000 -- --datasource "$STUB/big" 'big[1h]'
check "large response complete" [ "$(grep -c '^series' "$E2E_DIR/out")" = 10000 ]

closed=$(e2e_free_port)
run_case "connection refused, retried" 1 "(unavailable): request to http://127.0.0.1:$closed failed" 10 0 -- \
    --datasource "http://heed:pw-$$@127.0.0.1:$closed" 'up[1m]'
check "connection refused: 3 attempts" grep -q "3 attempts" "$E2E_DIR/err"

python3 tests/e2e/backlog_listener.py "$E2E_DIR/bport" &
e2e_track $!
n=0
while [ ! -s "$E2E_DIR/bport" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
BPORT=$(cat "$E2E_DIR/bport")
run_case "connect timeout, retried" 1 "(unavailable): connecting to http://127.0.0.1:$BPORT timed out after 1000 ms" \
    6 0 -- --datasource "http://127.0.0.1:$BPORT" --timeout 1 --retries 1 'up[1m]'
check "connect timeout: 2 attempts" grep -q "2 attempts" "$E2E_DIR/err"

run_case "bearer token from file and extra header" 0 "" 10 0 -- --datasource "$STUB/auth" \
    --bearer-token-file "$E2E_DIR/token" --header 'X-Scope-OrgID: tenant-1' 'up[1m]'
printf 'wrong\n' >"$E2E_DIR/wrong"
run_case "wrong bearer token: 401" 1 "returned HTTP 401: Unauthorized" 10 0 -- --datasource "$STUB/auth" \
    --bearer-token-file "$E2E_DIR/wrong" --header 'X-Scope-OrgID: tenant-1' 'up[1m]'
printf 'pw-%s\n' "$$" >"$E2E_DIR/token"
run_case "basic auth with password file" 0 "" 10 0 -- --datasource "$STUB/basic" \
    --basic-user heed --basic-password-file "$E2E_DIR/password" 'up[1m]'
run_case "missing token file" 2 "cannot read bearer token file $E2E_DIR/none" 10 0 -- --datasource "$STUB/ok" \
    --bearer-token-file "$E2E_DIR/none" 'up[1m]'
run_case "non-http URL refused" 2 "datasource URL must be http or https" 10 0 -- --datasource "file:///etc/passwd" \
    'up[1m]'

e2e_summary
