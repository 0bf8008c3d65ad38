#!/bin/sh
# End-to-end: `heed run` against the real Prometheus (scraping a loopback
# target whose value the test sets, remote-write receiver on) and the real
# Alertmanager, all on 127.0.0.1:
#   recording-rule results are queryable in Prometheus (remote write);
#   an alert fires and Alertmanager shows its labels and annotations;
#   Alertmanager stopped and started again gets the alert back, same startsAt;
#   heed SIGKILLed and restarted keeps the firing episode (same startsAt);
#   the condition clears and an explicit resolve arrives;
#   a reload that removes a rule and a group: their series end with
#   staleness markers (the rule's at once, the group's two intervals later);
#   the backend stops: rules fail, nothing is resolved, HeedDatasourceFailing fires.
# Skips (exit 0) if Prometheus or Alertmanager is not installed.
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$(pwd)/bin/heed}
. tests/e2e/lib.sh
. tests/e2e/alertmanager_lib.sh
if ! e2e_have_prometheus || ! am_available; then
    echo "skip: Prometheus or Alertmanager is not installed"
    echo "0 passed, 0 failed"
    exit 0
fi
e2e_init
trap 'am_stop_all; e2e_cleanup' EXIT
trap 'am_stop_all; e2e_cleanup; exit 130' INT
trap 'am_stop_all; e2e_cleanup; exit 143' TERM
D=$E2E_DIR

wait_for() {
    limit=$1
    shift
    n=0
    while [ $n -lt $((limit * 10)) ]; do
        "$@" && return 0
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}

echo 'heed_e2e_value 1' >"$D/expo"
python3 tests/e2e/scrape_target.py "$D/tport" "$D/expo" >/dev/null 2>&1 &
e2e_track $!
wait_for 10 test -s "$D/tport"
e2e_prometheus_start "127.0.0.1:$(cat "$D/tport")" 1s || {
    e2e_not_ok "prometheus did not start"
    e2e_summary
    exit 1
}
AMPORT=$(am_free_port)
am_start "$D/am" "$AMPORT" || {
    e2e_not_ok "alertmanager did not start"
    e2e_summary
    exit 1
}

cat >"$D/rules.yml" <<'EOF'
groups:
  - name: e2e
    interval: 1s
    rules:
      - record: heed_e2e:value:max
        expr: max(heed_e2e_value)
      - alert: HeedE2EHigh
        expr: heed_e2e_value > 5
        labels: {severity: page}
        annotations: {summary: "value is {{ $value }}"}
      - record: heed_e2e:dropped
        expr: vector(3)
  - name: e2e-removed
    interval: 1s
    rules:
      - record: heed_e2e:removed
        expr: vector(7)
EOF
cat >"$D/heed.yml" <<EOF
datasource: {url: "$E2E_PROM_URL"}
alertmanagers: [{url: "http://127.0.0.1:$AMPORT"}]
remote_write: {url: "$E2E_PROM_URL/api/v1/write"}
rule_files: [rules.yml]
state_dir: $D/state
resend_delay: 2s
external_labels: {ruler: heed-e2e, replica: a}
alert_relabel_configs:
  - {action: labeldrop, regex: replica}
  - {source_labels: [severity], regex: page, target_label: team, replacement: oncall}
EOF
mkdir -p "$D/state"
HEED_PID=
start_heed() {
    "$HEED" run --config "$D/heed.yml" >>"$D/heed.log" 2>&1 &
    HEED_PID=$!
    e2e_track $HEED_PID
}

prom_value() {
    curl -s --noproxy '*' "$E2E_PROM_URL/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "none")'
}
# am_alert FIELD: FIELD of the active HeedE2EHigh alert in Alertmanager ("none" if absent).
am_alert() {
    am_get "$AMPORT" /api/v2/alerts | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    if a["labels"].get("alertname") == "HeedE2EHigh" and a["status"]["state"] == "active":
        v = a[sys.argv[1]]
        print(json.dumps(v, sort_keys=True) if isinstance(v, dict) else v)
        break
else:
    print("none")' "$1"
}
am_active() { [ "$(am_alert startsAt)" != none ]; }
am_inactive() { [ "$(am_alert startsAt)" = none ]; }
resolved_received() {
    am_get "$AMPORT" /metrics | sed -n 's/^alertmanager_alerts_received_total{status="resolved",version="v2"} //p'
}
recorded_is() { [ "$(prom_value heed_e2e:value:max)" = "$1" ]; }

start_heed

# 1. Recording-rule results reach Prometheus through remote write.
if wait_for 20 recorded_is 1; then
    e2e_ok "recording-rule result queryable in Prometheus (heed_e2e:value:max = 1)"
else
    e2e_not_ok "heed_e2e:value:max in Prometheus: $(prom_value heed_e2e:value:max)"
fi

# 2. The alert fires; Alertmanager shows it with labels and annotations.
echo 'heed_e2e_value 10' >"$D/expo"
if wait_for 20 am_active; then
    labels=$(am_alert labels)
    ann=$(am_alert annotations)
    # alert_relabel_configs: the replica external label dropped, a team label added.
    want='{"alertname": "HeedE2EHigh", "instance": "127.0.0.1:'$(cat "$D/tport")'", "job": "target", "ruler": "heed-e2e", "severity": "page", "team": "oncall"}'
    if [ "$labels" = "$want" ] && [ "$ann" = '{"summary": "value is 10"}' ]; then
        e2e_ok "alert active in Alertmanager with its labels, external label, relabelling and annotation"
    else
        e2e_not_ok "alert in Alertmanager: labels $labels annotations $ann"
    fi
else
    e2e_not_ok "alert not active in Alertmanager within 20 s: $(tail -3 "$D/heed.log")"
fi
STARTS=$(am_alert startsAt)

# 3. Alertmanager down for a while, then back (empty): the alert comes back.
am_stop "$D/am"
sleep 4
rm -rf "$D/am/data"
am_start "$D/am" "$AMPORT"
if wait_for 20 am_active && [ "$(am_alert startsAt)" = "$STARTS" ]; then
    e2e_ok "Alertmanager restarted empty: the firing alert is delivered again, same startsAt"
else
    e2e_not_ok "after the Alertmanager outage: startsAt $STARTS -> $(am_alert startsAt)"
fi

# 4. heed SIGKILLed and restarted: same firing episode.
sleep 1.5
kill -KILL "$HEED_PID"
e2e_stop "$HEED_PID"
start_heed
sleep 5
if am_active && [ "$(am_alert startsAt)" = "$STARTS" ] && grep -q 'msg="Restored alert state" group=e2e' "$D/heed.log"; then
    e2e_ok "SIGKILL and restart: state restored, alert still firing with the same startsAt"
else
    e2e_not_ok "after SIGKILL: startsAt $STARTS -> $(am_alert startsAt); $(grep -i restor "$D/heed.log")"
fi

# 5. The condition clears: an explicit resolve arrives.
before=$(resolved_received)
echo 'heed_e2e_value 1' >"$D/expo"
if wait_for 15 am_inactive && [ "$(resolved_received)" -gt "${before:-0}" ]; then
    e2e_ok "condition cleared: explicit resolve received by Alertmanager"
else
    e2e_not_ok "no explicit resolve: resolved received $before -> $(resolved_received), alert $(am_alert startsAt)"
fi

# 5b. A reload removes the rule heed_e2e:dropped from group e2e and the
# group e2e-removed: both series end with staleness markers (without them
# Prometheus would show their last values for the 5m lookback).
wait_for 20 sh -c '[ "$(curl -s --noproxy "*" "'"$E2E_PROM_URL"'/api/v1/query" --data-urlencode "query=heed_e2e:removed" | grep -c "\"7\"")" = 1 ]'
if [ "$(prom_value heed_e2e:dropped)" = 3 ] && [ "$(prom_value heed_e2e:removed)" = 7 ]; then
    e2e_ok "before the reload: heed_e2e:dropped and heed_e2e:removed are in Prometheus"
else
    e2e_not_ok "before the reload: dropped $(prom_value heed_e2e:dropped), removed $(prom_value heed_e2e:removed)"
fi
python3 - "$D/rules.yml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s[:s.index("      - record: heed_e2e:dropped")]
open(p, "w").write(s)
PY
kill -HUP "$HEED_PID"
gone() { [ "$(prom_value "$1")" = none ]; }
if wait_for 15 gone heed_e2e:dropped; then
    e2e_ok "reload removed a rule: its series ends (marked at the group's next evaluation)"
else
    e2e_not_ok "after the reload: dropped $(prom_value heed_e2e:dropped), removed $(prom_value heed_e2e:removed)"
fi
if wait_for 20 gone heed_e2e:removed && [ "$(prom_value heed_e2e:value:max)" != none ]; then
    e2e_ok "reload removed a group: its series ends (marked two intervals later); the kept rule's series goes on"
else
    e2e_not_ok "after the reload: removed $(prom_value heed_e2e:removed), value:max $(prom_value heed_e2e:value:max)"
fi

# 6. The backend stops while the alert fires: rules fail, nothing resolved.
echo 'heed_e2e_value 10' >"$D/expo"
wait_for 20 am_active
before=$(resolved_received)
e2e_stop "$E2E_PROM_PID"
sleep 4
ds_failing() {
    am_get "$AMPORT" /api/v2/alerts | grep -q '"alertname":"HeedDatasourceFailing"'
}
if grep -q 'msg="Evaluating rule failed"' "$D/heed.log" && [ "$(resolved_received)" = "$before" ] && am_active &&
    ds_failing; then
    e2e_ok "backend down: rule evaluation fails, the alert is not resolved, HeedDatasourceFailing fires"
else
    e2e_not_ok "backend down: resolved $before -> $(resolved_received), alert $(am_alert startsAt), $(grep -c 'Evaluating rule failed' "$D/heed.log") failures logged, HeedDatasourceFailing: $(ds_failing && echo yes || echo no)"
fi

kill -TERM "$HEED_PID"
if wait_for 20 sh -c "! kill -0 $HEED_PID 2>/dev/null"; then
    wait "$HEED_PID"
    rc=$?
    [ $rc = 0 ] && e2e_ok "SIGTERM: exit 0" || e2e_not_ok "SIGTERM: exit $rc"
else
    e2e_not_ok "heed did not exit within 20 s of SIGTERM"
fi
e2e_summary
