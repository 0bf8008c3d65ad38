#!/bin/sh
# End-to-end: heed's Alertmanager notifier (through `heed notify`) against the
# real prometheus-alertmanager on 127.0.0.1: a firing alert arrives with its
# labels, annotations and times; a resolve resolves it; alerts queued while
# Alertmanager is down are all delivered once it is back; every alert goes to
# every Alertmanager. Skips (exit 0) only if Alertmanager is not installed.
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$(pwd)/bin/heed}
. tests/e2e/alertmanager_lib.sh

if ! am_available; then
    echo "skip: $AM_BIN is not installed (apt-get install prometheus-alertmanager)"
    echo "0 passed, 0 failed"
    exit 0
fi

pass=0
fail=0
ok() {
    pass=$((pass + 1))
    echo "ok - $1"
}
not_ok() {
    fail=$((fail + 1))
    echo "not ok - $1"
    shift
    for line in "$@"; do
        echo "  $line"
    done
}
# check NAME HAYSTACK NEEDLE: HAYSTACK contains NEEDLE (fixed string).
check_has() {
    case "$2" in
    *"$3"*) ok "$1" ;;
    *) not_ok "$1" "missing: $3" "in: $(printf '%s' "$2" | head -c 600)" ;;
    esac
}
check_lacks() {
    case "$2" in
    *"$3"*) not_ok "$1" "unexpected: $3" "in: $(printf '%s' "$2" | head -c 600)" ;;
    *) ok "$1" ;;
    esac
}
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}
# received PORT STATUS: Alertmanager's count of v2 alerts received with that status.
received() {
    am_get "$1" /metrics |
        sed -n "s/^alertmanager_alerts_received_total{status=\"$2\",version=\"v2\"} //p"
}
iso() {
    date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/heed-am-e2e.XXXXXX")
bg_pids=
cleanup() {
    for p in $bg_pids; do
        kill "$p" 2>/dev/null
    done
    am_stop_all
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port=$(am_free_port)
if ! am_start "$tmp/am1" "$port"; then
    not_ok "alertmanager starts on 127.0.0.1:$port"
    echo "$pass passed, $fail failed"
    exit 1
fi
am="http://127.0.0.1:$port"
now=$(date +%s)
starts=$(iso $((now - 120)))
ends=$(iso $((now + 3600)))

# 1. A firing alert arrives with labels, annotations, times, generatorURL and
#    the external label; an alert's own value of that label wins.
out=$("$HEED" notify --alertmanager "$am" --starts-at "$starts" --ends-at "$ends" \
    --annotation 'summary=latency "high" <1s> & rising' --annotation runbook=https://runbooks/x \
    --generator-url 'http://heed:9096/graph?g0.expr=up&g0.tab=1' --external-label ruler=heed-e2e \
    alertname=HeedE2EFiring severity=page 2>&1)
rc=$?
check_eq "heed notify (firing) exits 0" "$rc" 0
check_has "heed notify reports one alert sent" "$out" "sent=1 errors=0 dropped=0 queue_length=0"
"$HEED" notify --alertmanager "$am" --external-label ruler=heed-e2e alertname=HeedE2EOwnRuler \
    ruler=own >/dev/null 2>&1
alerts=$(am_get "$port" /api/v2/alerts)
check_has "firing alert has its labels and the external label" "$alerts" \
    '"labels":{"alertname":"HeedE2EFiring","ruler":"heed-e2e","severity":"page"}'
check_has "firing alert has its annotations, escaping intact" "$alerts" \
    '"annotations":{"runbook":"https://runbooks/x","summary":"latency \"high\" \u003c1s\u003e \u0026 rising"}'
check_has "firing alert has startsAt" "$alerts" "\"startsAt\":\"$starts\""
check_has "firing alert has endsAt" "$alerts" "\"endsAt\":\"$ends\""
check_has "firing alert has generatorURL" "$alerts" \
    '"generatorURL":"http://heed:9096/graph?g0.expr=up\u0026g0.tab=1"'
check_has "firing alert is active" "$alerts" '"state":"active"'
check_has "an alert's own label beats the external label" "$alerts" \
    '"labels":{"alertname":"HeedE2EOwnRuler","ruler":"own"}'

# 2. A resolve for the same label set resolves it.
before=$(received "$port" resolved)
"$HEED" notify --alertmanager "$am" --resolve --starts-at "$starts" --external-label ruler=heed-e2e \
    alertname=HeedE2EFiring severity=page >/dev/null 2>&1
check_eq "heed notify (resolve) exits 0" "$?" 0
alerts=$(am_get "$port" /api/v2/alerts)
check_lacks "resolved alert is no longer active" "$alerts" '"alertname":"HeedE2EFiring"'
check_has "the other alert stays active" "$alerts" '"alertname":"HeedE2EOwnRuler"'
check_eq "alertmanager received one resolved alert" "$(received "$port" resolved)" $((before + 1))

# 3. Outage: with Alertmanager down, a new firing and a resolve of an alert
#    that fired before are queued and retried; after a restart both arrive.
"$HEED" notify --alertmanager "$am" alertname=HeedE2EOutageResolve >/dev/null 2>&1
am_stop "$tmp/am1"
"$HEED" notify --alertmanager "$am" --flush-timeout 60 alertname=HeedE2EOutageFiring severity=ticket \
    >"$tmp/firing.out" 2>&1 &
p_firing=$!
"$HEED" notify --alertmanager "$am" --flush-timeout 60 --resolve alertname=HeedE2EOutageResolve \
    >"$tmp/resolve.out" 2>&1 &
p_resolve=$!
bg_pids="$p_firing $p_resolve"
sleep 2
if kill -0 "$p_firing" 2>/dev/null && kill -0 "$p_resolve" 2>/dev/null; then
    ok "senders keep retrying while alertmanager is down"
else
    not_ok "senders keep retrying while alertmanager is down" "$(cat "$tmp/firing.out" "$tmp/resolve.out")"
fi
if am_start "$tmp/am1" "$port"; then
    ok "alertmanager restarts on the same port"
else
    not_ok "alertmanager restarts on the same port"
fi
wait "$p_firing"
rc_firing=$?
wait "$p_resolve"
rc_resolve=$?
bg_pids=
sed 's/^/    /' "$tmp/firing.out"
check_eq "queued firing delivered after the outage (exit 0)" "$rc_firing" 0
check_eq "queued resolve delivered after the outage (exit 0)" "$rc_resolve" 0
check_has "the firing sender saw errors and then success" "$(cat "$tmp/firing.out")" "sent=1 errors="
check_has "nothing dropped by the firing sender" "$(cat "$tmp/firing.out")" "dropped=0 queue_length=0"
check_has "nothing dropped by the resolve sender" "$(cat "$tmp/resolve.out")" "dropped=0 queue_length=0"
case "$(cat "$tmp/firing.out")" in
*"errors=0"*) not_ok "the outage was noticed (errors counted)" "$(cat "$tmp/firing.out")" ;;
*) ok "the outage was noticed (errors counted)" ;;
esac
alerts=$(am_get "$port" /api/v2/alerts)
check_has "firing queued during the outage is active" "$alerts" \
    '"labels":{"alertname":"HeedE2EOutageFiring","severity":"ticket"}'
check_lacks "resolve queued during the outage left nothing active" "$alerts" '"alertname":"HeedE2EOutageResolve"'
check_eq "restarted alertmanager received the firing" "$(received "$port" firing)" 1
check_eq "restarted alertmanager received the resolve" "$(received "$port" resolved)" 1

# 4. Every alert goes to every Alertmanager.
port2=$(am_free_port)
if am_start "$tmp/am2" "$port2"; then
    "$HEED" notify --alertmanager "$am" --alertmanager "http://127.0.0.1:$port2/" alertname=HeedE2EBoth \
        >"$tmp/both.out" 2>&1
    check_eq "heed notify to two alertmanagers exits 0" "$?" 0
    check_has "first alertmanager has the alert" "$(am_get "$port" /api/v2/alerts)" '"alertname":"HeedE2EBoth"'
    check_has "second alertmanager has the alert" "$(am_get "$port2" /api/v2/alerts)" '"alertname":"HeedE2EBoth"'
    check_eq "one stats line per alertmanager" "$(grep -c 'sent=1 ' "$tmp/both.out")" 2
else
    not_ok "second alertmanager starts"
fi

# 5. An alert Alertmanager rejects (endsAt before startsAt: HTTP 400) is
#    dropped and counted, not retried forever ahead of good alerts.
start5=$(date +%s)
out=$("$HEED" notify --alertmanager "$am" --flush-timeout 20 --starts-at "$ends" --ends-at "$starts" \
    alertname=HeedE2EBad 2>&1)
rc=$?
check_eq "a rejected alert is reported as not delivered (exit 1)" "$rc" 1
check_has "the rejection reason is reported" "$out" "last_error=bad response status 400"
check_has "the rejected alert is counted as dropped, nothing left queued" "$out" "dropped=1 queue_length=0"
check_eq "a rejection is final: no waiting for the flush deadline" "$(($(date +%s) - start5 < 10))" 1

# 6. TLS with a private CA, server name, client certificate and basic auth:
#    Alertmanager's own web config enforces all of them.
tls=$tmp/tls
mkdir -p "$tls"
if (
    cd "$tls" &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
            -keyout ca.key -out ca.crt -subj /CN=heed-e2e-ca \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
        for who in server client; do
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout $who.key -out $who.csr -subj "/CN=$who.heed.test" || exit 1
            if [ $who = server ]; then
                printf 'subjectAltName=DNS:am.heed.test\nextendedKeyUsage=serverAuth\n' >$who.ext
            else
                printf 'extendedKeyUsage=clientAuth\n' >$who.ext
            fi
            openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
                -extfile $who.ext -out $who.crt || exit 1
        done
) >"$tmp/openssl.log" 2>&1; then
    # bcrypt (cost 4) of the test password heed-e2e-password: a fixture, not a secret.
    cat >"$tls/web.yml" <<YML
tls_server_config:
  cert_file: $tls/server.crt
  key_file: $tls/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: $tls/ca.crt
basic_auth_users:
  heed: \$2b\$04\$RG7V6TWFNjcU5j0NfdFD6.xRn71jVrQ8zz7i1jDyorcO8fpcHK4zO
YML
    printf 'heed-e2e-password\n' >"$tls/password"
    printf 'wrong-password\n' >"$tls/wrong"
    port3=$(am_free_port)
    AM_CURL_ARGS="-k --cert $tls/client.crt --key $tls/client.key"
    if am_start "$tmp/am3" "$port3" "$tls/web.yml"; then
        ok "alertmanager with TLS and basic auth starts"
        tls_opts="--ca-file $tls/ca.crt --cert-file $tls/client.crt --key-file $tls/client.key"
        # shellcheck disable=SC2086
        out=$("$HEED" notify --alertmanager "https://127.0.0.1:$port3" $tls_opts --server-name am.heed.test \
            --basic-auth-user heed --basic-auth-password-file "$tls/password" --flush-timeout 5 \
            alertname=HeedE2ETLS 2>&1)
        check_eq "TLS + client cert + basic auth: delivered (exit 0)" "$?" 0
        check_has "TLS + client cert + basic auth: sent" "$out" "sent=1 errors=0"
        got=$(am_curl -fsS --cacert "$tls/ca.crt" --cert "$tls/client.crt" --key "$tls/client.key" \
            -u "heed:heed-e2e-password" --resolve "am.heed.test:$port3:127.0.0.1" \
            "https://am.heed.test:$port3/api/v2/alerts")
        check_has "TLS alertmanager has the alert" "$got" '"labels":{"alertname":"HeedE2ETLS"}'
        check_lacks "the password never appears in heed's output" "$out" "heed-e2e-password"

        # shellcheck disable=SC2086
        out=$("$HEED" notify --alertmanager "https://127.0.0.1:$port3" $tls_opts \
            --basic-auth-user heed --basic-auth-password-file "$tls/password" --flush-timeout 1 \
            alertname=HeedE2ETLSNoName 2>&1)
        check_eq "without server name the certificate does not verify (exit 1)" "$?" 1
        check_has "the verification failure is reported" "$out" "last_error="
        # shellcheck disable=SC2086
        out=$("$HEED" notify --alertmanager "https://127.0.0.1:$port3" $tls_opts --insecure-skip-verify \
            --basic-auth-user heed --basic-auth-password-file "$tls/wrong" --flush-timeout 1 \
            alertname=HeedE2EWrongPassword 2>&1)
        check_has "insecure-skip-verify connects; a wrong password gets 401" "$out" \
            "last_error=bad response status 401"
        check_lacks "the wrong password never appears in heed's output" "$out" "wrong-password"
    else
        not_ok "alertmanager with TLS and basic auth starts" "$(tail -n 5 "$tmp/am3/alertmanager.log")"
    fi
else
    not_ok "openssl makes the test certificates" "$(tail -n 5 "$tmp/openssl.log")"
fi

# 7. What goes over the wire, seen by a recording HTTP server: path with a
#    prefix, headers (bearer token from a file, extra header, content type,
#    user agent), and a JSON array body.
cat >"$tmp/capture.py" <<'PY'
import http.server, json, sys
out = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "w") as f:
            f.write("PATH " + self.path + "\n")
            for k, v in self.headers.items():
                f.write("HEADER " + k.lower() + ": " + v + "\n")
            alerts = json.loads(body)
            f.write("COUNT %d\n" % len(alerts))
            f.write("LABELS " + json.dumps(alerts[0]["labels"], sort_keys=True) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
if command -v python3 >/dev/null 2>&1; then
    port4=$(am_free_port)
    python3 "$tmp/capture.py" "$port4" "$tmp/capture.txt" &
    cap_pid=$!
    bg_pids="$cap_pid"
    printf ' secret-token-value\n' >"$tmp/token"
    i=0
    until am_curl -s -o /dev/null "http://127.0.0.1:$port4/" || [ $i -ge 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    "$HEED" notify --alertmanager "http://127.0.0.1:$port4/prefix/" --bearer-token-file "$tmp/token" \
        --header 'X-Scope-OrgID: tenant-1' --flush-timeout 5 alertname=HeedE2EWire job=api >"$tmp/wire.out" 2>&1
    check_eq "recording server took the alert (exit 0)" "$?" 0
    cap=$(cat "$tmp/capture.txt" 2>/dev/null)
    check_has "POST path joins the prefix" "$cap" "PATH /prefix/api/v2/alerts"
    check_has "bearer token read from its file, trimmed" "$cap" "HEADER authorization: Bearer secret-token-value"
    check_has "extra header sent" "$cap" "HEADER x-scope-orgid: tenant-1"
    check_has "content type is JSON" "$cap" "HEADER content-type: application/json"
    check_has "user agent names heed" "$cap" "HEADER user-agent: heed/"
    check_has "body is a JSON array of one alert" "$cap" "COUNT 1"
    check_has "labels decode as sent" "$cap" 'LABELS {"alertname": "HeedE2EWire", "job": "api"}'
    check_lacks "the token never appears in heed's output" "$(cat "$tmp/wire.out")" "secret-token-value"
    kill "$cap_pid" 2>/dev/null
    wait "$cap_pid" 2>/dev/null
    bg_pids=
else
    not_ok "python3 (a test dependency, see make deps) runs the recording server"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
