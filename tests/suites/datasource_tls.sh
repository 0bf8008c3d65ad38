#!/bin/sh
# TLS options of heed's datasource client against a loopback HTTPS stub
# (tests/e2e/tls_stub.py) with certificates made here by openssl: CA file,
# server name (the certificate names prom.test, the connection goes to
# 127.0.0.1), insecure skip-verify, client certificate and key (mutual TLS).
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$PWD/bin/heed}
. tests/e2e/lib.sh
if ! command -v openssl >/dev/null || ! command -v python3 >/dev/null; then
    echo "skip: openssl or python3 not installed"
    echo "0 passed, 0 failed"
    exit 0
fi
e2e_init
d=$E2E_DIR
cert() { # NAME SUBJECT EXT: key and certificate signed by the test CA
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/$1.key" -out "$d/$1.csr" \
        -subj "$2" 2>/dev/null &&
        printf '%s\n' "$3" >"$d/$1.ext" &&
        openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -out "$d/$1.crt" \
            -days 2 -extfile "$d/$1.ext" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" \
    -days 2 -subj /CN=heed-test-ca 2>/dev/null &&
    cert server /CN=prom.test 'subjectAltName=DNS:prom.test' &&
    cert client /CN=heed-client 'extendedKeyUsage=clientAuth' || {
    echo "not ok: could not make test certificates"
    echo "0 passed, 1 failed"
    exit 1
}

# Starts a stub in this shell (so the cleanup trap knows its pid); its port
# lands in PORTFILE.
start_stub() { # PORTFILE [CLIENT_CA]
    python3 tests/e2e/tls_stub.py "$1" "$d/server.crt" "$d/server.key" ${2:+"$2"} >/dev/null 2>&1 &
    e2e_track $!
    n=0
    while [ ! -s "$1" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
}
start_stub "$d/port1"
start_stub "$d/port2" "$d/ca.crt"
P=$(cat "$d/port1")
M=$(cat "$d/port2")

run() { # NAME WANT_EXIT WANT_STDERR heed-fetch-args...
    name=$1 want=$2 err=$3
    shift 3
    timeout 30 "$HEED" fetch --time 1700000000 "$@" 'up' >"$d/out" 2>"$d/err"
    rc=$?
    if [ $rc = "$want" ] && { [ -z "$err" ] || grep -qF -- "$err" "$d/err"; } &&
        { [ "$want" != 0 ] || grep -q 'tls="yes"' "$d/out"; }; then
        e2e_ok "$name"
    else
        e2e_not_ok "$name: exit $rc, stderr: $(cat "$d/err")"
    fi
}

run "CA file and server name" 0 "" --datasource "https://127.0.0.1:$P" --ca-file "$d/ca.crt" --server-name prom.test
run "CA file, name mismatch refused" 1 "(unavailable): request to https://127.0.0.1:$P failed: SSL: no alternative certificate subject name matches target host name" --datasource "https://127.0.0.1:$P" --ca-file "$d/ca.crt"
run "unknown CA refused" 1 "(unavailable)" --datasource "https://127.0.0.1:$P" --server-name prom.test
run "TLS failure not retried" 1 "SSL certificate problem" --datasource "https://127.0.0.1:$P" --server-name prom.test
if grep -q attempts "$d/err"; then e2e_not_ok "TLS failure was retried"; else e2e_ok "TLS failure: one attempt"; fi
run "insecure skip verify" 0 "" --datasource "https://127.0.0.1:$P" --insecure-skip-verify
run "mutual TLS with client certificate" 0 "" --datasource "https://127.0.0.1:$M" --ca-file "$d/ca.crt" \
    --server-name prom.test --cert-file "$d/client.crt" --key-file "$d/client.key"
run "mutual TLS without client certificate refused" 1 "(unavailable)" --datasource "https://127.0.0.1:$M" \
    --ca-file "$d/ca.crt" --server-name prom.test
e2e_summary
