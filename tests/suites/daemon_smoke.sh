#!/bin/sh
# Daemon smoke suite: `heed run` against a loopback stub that is both the
# Prometheus query API and an Alertmanager (tests/e2e/daemon_stub.py).
# An alert fires and is delivered with its labels, annotations, external
# labels and generatorURL; a bad configuration on SIGHUP is refused and the
# old one keeps running; a good one is taken without re-paging; SIGTERM exits
# 0 with the state file written; a restart restores the state (same startsAt);
# a resolve is delivered; SIGKILL and restart keep the firing episode.
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$(pwd)/bin/heed}
. tests/e2e/lib.sh
e2e_init
D=$E2E_DIR

python3 tests/e2e/daemon_stub.py "$D" >"$D/stub.log" 2>&1 &
e2e_track $!
n=0
while [ ! -f "$D/port" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
PORT=$(cat "$D/port")
echo 0 >"$D/value" # up == 0: the alert condition holds
WEBPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >"$D/rules.yml" <<'EOF'
groups:
  - name: smoke
    interval: 1s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: TargetDown
        expr: up == 0
        labels: {severity: page}
        annotations: {summary: "{{ $labels.job }} is down"}
  - name: smoke-records
    interval: 1s
    rules:
      - record: job:up:max
        expr: max by (job) (up)
      - record: job:up:max2
        expr: job:up:max * 2
EOF
write_config() {
    cat >"$D/heed.yml" <<EOF
datasource: {url: "http://127.0.0.1:$PORT"}
alertmanagers: [{url: "http://127.0.0.1:$PORT"}]
rule_files: [rules.yml]
state_dir: $D/state
resend_delay: 1s
external_labels: {replica: a}
external_url: http://heed.example:9096/
remote_write: {url: "http://127.0.0.1:$PORT/api/v1/write"}
web: {listen_address: "127.0.0.1:$WEBPORT"}
EOF
}
write_config
mkdir -p "$D/state"

HEED_PID=
start_heed() {
    "$HEED" run --config "$D/heed.yml" --log.level debug >>"$D/heed.log" 2>&1 &
    HEED_PID=$!
    e2e_track $HEED_PID
}
# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
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
# How many TargetDown notifications arrived (self-monitoring alerts arrive too).
alerts_count() { [ -f "$D/alerts.jsonl" ] && grep -o '"alertname":"TargetDown"' "$D/alerts.jsonl" | wc -l || echo 0; }
# last_alert FIELD: a field of the last alert delivered.
last_alert() {
    python3 -c 'import json,sys
alerts = [a for line in open(sys.argv[1]).read().splitlines() for a in json.loads(line)
          if a["labels"]["alertname"] == "TargetDown"]
a = alerts[-1]
print(json.dumps(a[sys.argv[2]], sort_keys=True) if isinstance(a[sys.argv[2]], dict) else a[sys.argv[2]])' "$D/alerts.jsonl" "$1"
}
more_alerts_than() { [ "$(alerts_count)" -gt "$1" ]; }
log_has() { grep -q "$1" "$D/heed.log"; }
exited() { ! kill -0 "$1" 2>/dev/null; }

# 0. A bad configuration at start: exit 2 with file:line:col.
printf 'datasource: {url: "http://127.0.0.1:%s"}\nrule_file: [x]\n' "$PORT" >"$D/bad-start.yml"
"$HEED" run --config "$D/bad-start.yml" >"$D/bad-start.log" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q 'bad-start.yml:2:1: configuration: unknown field \\"rule_file\\"' "$D/bad-start.log"; then
    e2e_ok "bad configuration at start: exit 2 with file:line:col"
else
    e2e_not_ok "bad configuration at start: rc $rc: $(cat "$D/bad-start.log")"
fi

# 0b. A bad `# heed:` directive in a rule file: the load is refused at its file:line:col.
cat >"$D/bad-directive.rules.yml" <<'YEOF'
groups:
  - name: g
    rules:
      # heed: max-hold=banana
      - alert: A
        expr: up == 0
YEOF
printf 'datasource: {url: "http://127.0.0.1:%s"}\nrule_files: [bad-directive.rules.yml]\nweb: {listen_address: "127.0.0.1:%s"}\n' "$PORT" "$WEBPORT" >"$D/bad-directive.yml"
"$HEED" run --config "$D/bad-directive.yml" >"$D/bad-directive.log" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q 'bad-directive.rules.yml:4:15: bad duration \\"banana\\"' "$D/bad-directive.log"; then
    e2e_ok "bad # heed: directive at start: exit 2 with file:line:col"
else
    e2e_not_ok "bad directive at start: rc $rc: $(cat "$D/bad-directive.log")"
fi

# 1. The alert fires and is delivered as Prometheus would send it.
start_heed
if wait_for 10 more_alerts_than 0; then
    labels=$(last_alert labels)
    ann=$(last_alert annotations)
    url=$(last_alert generatorURL)
    want='{"alertname": "TargetDown", "job": "smoke", "replica": "a", "severity": "page"}'
    if [ "$labels" = "$want" ] && [ "$ann" = '{"summary": "smoke is down"}' ] &&
        [ "$url" = 'http://heed.example:9096/graph?g0.expr=up+%3D%3D+0&g0.tab=1' ]; then
        e2e_ok "firing alert delivered with labels, external labels, annotations, generatorURL"
    else
        e2e_not_ok "alert content: labels=$labels annotations=$ann generatorURL=$url"
    fi
else
    e2e_not_ok "no alert delivered within 10 s: $(tail -5 "$D/heed.log")"
fi
STARTS=$(last_alert startsAt)
watchdog() { grep -q '"alertname":"HeedWatchdog","replica":"a"' "$D/alerts.jsonl"; }
if wait_for 5 watchdog; then
    e2e_ok "self-monitoring: HeedWatchdog is firing"
else
    e2e_not_ok "no HeedWatchdog notification"
fi

# The HTTP API serves the running daemon's state.
api_get() { curl -sf --max-time 5 "http://127.0.0.1:$WEBPORT$1"; }
api_ready() { api_get /-/ready >/dev/null; }
if wait_for 10 api_ready; then
    e2e_ok "/-/ready answers once every group was evaluated"
else
    e2e_not_ok "/-/ready: $(curl -s "http://127.0.0.1:$WEBPORT/-/ready"; grep -i 'http api\|listening' "$D/heed.log" | tail -2)"
fi
rules_ok() {
    api_get /api/v1/rules | python3 -c 'import json,sys
d = json.load(sys.stdin)["data"]["groups"]
g = {x["name"]: x for x in d}
r = [x for x in g["smoke"]["rules"] if x["name"] == "TargetDown"][0]
a = r["alerts"][0]
ok = (set(g) == {"smoke", "smoke-records"} and r["health"] == "ok" and r["state"] == "firing"
      and a["labels"] == {"alertname": "TargetDown", "job": "smoke", "severity": "page"}
      and a["state"] == "firing" and g["smoke"]["interval"] == 1
      and g["smoke-records"]["rules"][1]["query"] == "job:up:max * 2")
sys.exit(0 if ok else 1)'
}
if wait_for 5 rules_ok; then
    e2e_ok "/api/v1/rules: both groups, TargetDown ok and firing with its labels"
else
    e2e_not_ok "/api/v1/rules: $(api_get /api/v1/rules | head -c 600)"
fi
alerts_ok() {
    api_get /api/v1/alerts | python3 -c 'import json,sys
d = json.load(sys.stdin)["data"]["alerts"]
sys.exit(0 if [a for a in d if a["labels"].get("alertname") == "TargetDown" and a["state"] == "firing"
                and a["annotations"] == {"summary": "smoke is down"}] else 1)'
}
if alerts_ok; then
    e2e_ok "/api/v1/alerts lists the firing TargetDown"
else
    e2e_not_ok "/api/v1/alerts: $(api_get /api/v1/alerts | head -c 600)"
fi
fresh_ok() {
    api_get /api/v1/freshness | python3 -c 'import json,sys
d = json.load(sys.stdin)
groups = d["data"]["groups"]
sys.exit(0 if d["status"] == "success" and {g["name"] for g in groups} == {"smoke", "smoke-records"} else 1)'
}
if fresh_ok; then
    e2e_ok "/api/v1/freshness lists the daemon's groups"
else
    e2e_not_ok "/api/v1/freshness: $(api_get /api/v1/freshness | head -c 600)"
fi
metrics_ok() {
    m=$(api_get /metrics) &&
        echo "$m" | grep -q "^prometheus_rule_group_last_evaluation_timestamp_seconds{rule_group=\"$D/rules.yml;smoke\"} [1-9]" &&
        echo "$m" | grep -q "^prometheus_rule_group_interval_seconds{rule_group=\"$D/rules.yml;smoke-records\"} 1\$" &&
        echo "$m" | grep -q "^heed_rule_group_evaluation_lag_seconds{rule_group=\"$D/rules.yml;smoke\"}" &&
        echo "$m" | grep -q '^heed_selfcheck_firing{.*HeedWatchdog.*} 1$'
}
if metrics_ok; then
    e2e_ok "/metrics: Prometheus's rule-group metrics and heed's lag and self-checks for the running groups"
else
    e2e_not_ok "/metrics: $(api_get /metrics | grep -E 'rule_group|selfcheck' | head -8)"
fi
fed_ok() {
    api_get /metrics | python3 -c 'import sys
m = {}
for line in sys.stdin:
    if not line.startswith("#"):
        k, v = line.rsplit(" ", 1)
        m[k] = float(v)
g = sys.argv[1] + ";smoke"
it = m.get("prometheus_rule_group_iterations_total{rule_group=\"%s\"}" % g, 0)
ev = m.get("prometheus_rule_evaluations_total{rule_group=\"%s\"}" % g, 0)
gc = m.get("prometheus_rule_group_duration_seconds_count", 0)
rc = m.get("prometheus_rule_evaluation_duration_seconds_count", 0)
ok = (it >= 1 and ev >= 2 * it and gc >= it and rc >= 2 * gc - 2
      and m.get("prometheus_rule_group_duration_histogram_seconds_count") == gc
      and "prometheus_rule_group_duration_seconds{quantile=\"0.99\"}" in m
      and "prometheus_rule_evaluation_duration_seconds{quantile=\"0.5\"}" in m)
sys.exit(0 if ok else 1)' "$D/rules.yml"
}
if fed_ok; then
    e2e_ok "/metrics: iterations, rule evaluations and the group and rule duration summaries are fed by the evaluation loop"
else
    e2e_not_ok "/metrics: $(api_get /metrics | grep -E 'iterations_total|evaluations_total|duration_seconds_count' | head -8)"
fi

query_ok() {
    curl -sf --max-time 10 "http://127.0.0.1:$WEBPORT/api/v1/query" --data-urlencode 'query=sum by (job) (up)' |
        python3 -c 'import json,sys
d = json.load(sys.stdin)["data"]
sys.exit(0 if d["resultType"] == "vector" and [r for r in d["result"] if r["metric"] == {"job": "smoke"} and r["value"][1] == "0"] else 1)'
}
if query_ok; then
    e2e_ok "/api/v1/query: heed's engine over the datasource answers sum by (job) (up)"
else
    e2e_not_ok "/api/v1/query: $(curl -s "http://127.0.0.1:$WEBPORT/api/v1/query" --data-urlencode 'query=sum by (job) (up)' | head -c 400)"
fi

# Recording-rule output reaches remote write.
if wait_for 10 test -s "$D/writes"; then
    e2e_ok "recording-rule results sent with remote write"
else
    e2e_not_ok "nothing arrived by remote write"
fi

# 2. SIGHUP with a bad configuration: refused, the old one keeps running.
cp "$D/heed.yml" "$D/heed.good"
printf 'evaluation_interval: soon\n' >>"$D/heed.yml"
kill -HUP "$HEED_PID"
if wait_for 5 log_has 'Error reloading config'; then
    before=$(alerts_count)
    if grep -q 'heed.yml:10:22: evaluation_interval: not a valid duration string: \\"soon\\"' "$D/heed.log"; then
        e2e_ok "bad reload logged with file:line:col"
    else
        e2e_not_ok "bad reload message: $(grep 'reloading' "$D/heed.log")"
    fi
    if wait_for 6 more_alerts_than "$before" && kill -0 "$HEED_PID" 2>/dev/null; then
        e2e_ok "old configuration keeps running after a refused reload"
    else
        e2e_not_ok "evaluation stopped after a refused reload"
    fi
else
    e2e_not_ok "bad configuration on SIGHUP not reported: $(tail -5 "$D/heed.log")"
fi

# 3. SIGHUP with a good, changed configuration and rule group: taken, the
# changed group inherits the alert (same startsAt: nothing re-paged).
mv "$D/heed.good" "$D/heed.yml"
sed -i 's/summary: "{{ $labels.job }} is down"/summary: "{{ $labels.job }} is down (v2)"/' "$D/rules.yml"
kill -HUP "$HEED_PID"
if wait_for 10 sh -c "grep -c 'Completed loading of configuration file' '$D/heed.log' | grep -q '^2$'" &&
    wait_for 10 sh -c "tail -1 '$D/alerts.jsonl' | grep -q 'is down (v2)'"; then
    if [ "$(last_alert startsAt)" = "$STARTS" ]; then
        e2e_ok "reload with a changed group keeps the alert's firing episode"
    else
        e2e_not_ok "startsAt changed across reload: $STARTS -> $(last_alert startsAt)"
    fi
else
    e2e_not_ok "good reload not taken: $(tail -5 "$D/heed.log")"
fi

# 3b. POST /-/reload takes the same path as SIGHUP.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 -X POST "http://127.0.0.1:$WEBPORT/-/reload")
if [ "$code" = 200 ] && wait_for 5 sh -c "grep -c 'Completed loading of configuration file' '$D/heed.log' | grep -q '^3$'"; then
    e2e_ok "POST /-/reload reloads (200, configuration loaded again)"
else
    e2e_not_ok "POST /-/reload: HTTP $code, $(grep -c 'Completed loading' "$D/heed.log") loads"
fi

# 3c. Web settings apply on reload: a new listen address gets a new listener
# (asked through the old one), the old address stops answering; an address
# that cannot be bound keeps the current listener, and says why.
OLDPORT=$WEBPORT
WEBPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
write_config
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 -X POST "http://127.0.0.1:$OLDPORT/-/reload")
if [ "$code" = 200 ] && wait_for 5 api_get /-/healthy >/dev/null &&
    ! curl -s --max-time 3 "http://127.0.0.1:$OLDPORT/-/healthy" >/dev/null; then
    e2e_ok "reload with a new web.listen_address: served there, the old address closed"
else
    e2e_not_ok "new listen address: reload HTTP $code, $(grep -i 'listening\|http api' "$D/heed.log" | tail -3)"
fi
GOODPORT=$WEBPORT
WEBPORT=$PORT # the stub holds it: cannot be bound
write_config
kill -HUP "$HEED_PID"
WEBPORT=$GOODPORT
if wait_for 5 log_has 'previous listener keeps serving' && api_get /-/healthy >/dev/null; then
    e2e_ok "reload with an address that cannot be bound: logged, the current listener keeps serving"
else
    e2e_not_ok "unbindable address: $(grep -i 'listening\|http api' "$D/heed.log" | tail -3)"
fi
write_config

# 4. SIGTERM: exits 0, state written.
kill -TERM "$HEED_PID"
if wait_for 15 exited "$HEED_PID"; then
    wait "$HEED_PID"
    rc=$?
    if [ $rc = 0 ] && grep -q '^alert firing' "$D"/state/*.state 2>/dev/null; then
        e2e_ok "SIGTERM: exit 0 and the firing alert is in the state file"
    else
        e2e_not_ok "SIGTERM: rc $rc, state: $(cat "$D"/state/*.state 2>&1)"
    fi
else
    e2e_not_ok "heed did not exit within 15 s of SIGTERM"
fi
e2e_stop "$HEED_PID"

# 5. Restart: state restored, the next notification has the same startsAt.
before=$(alerts_count)
start_heed
if wait_for 10 more_alerts_than "$before" && log_has 'msg="Restored alert state" group=smoke file=[^ ]*rules.yml alerts=1'; then
    if [ "$(last_alert startsAt)" = "$STARTS" ]; then
        e2e_ok "restart restores the firing alert (same startsAt, no re-page)"
    else
        e2e_not_ok "startsAt after restart: $STARTS -> $(last_alert startsAt)"
    fi
else
    e2e_not_ok "no restore after restart: $(grep -i restor "$D/heed.log")"
fi
restore_timed() {
    api_get /metrics | grep -q "^prometheus_rule_group_last_restore_duration_seconds{rule_group=\"$D/rules.yml;smoke\"} [0-9.e-]*[1-9]"
}
if wait_for 5 restore_timed; then
    e2e_ok "/metrics: the restore from the state file is timed (prometheus_rule_group_last_restore_duration_seconds)"
else
    e2e_not_ok "restore duration: $(api_get /metrics | grep last_restore)"
fi

# 6. The condition clears: a resolve (endsAt in the past) is delivered.
echo 1 >"$D/value"
resolved() {
    python3 -c 'import json,sys,datetime
a = [a for line in open(sys.argv[1]).read().splitlines() for a in json.loads(line)
     if a["labels"]["alertname"] == "TargetDown"][-1]
ends = datetime.datetime.strptime(a["endsAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
sys.exit(0 if ends <= datetime.datetime.now(datetime.timezone.utc) and a["startsAt"] == sys.argv[2] else 1)' \
        "$D/alerts.jsonl" "$STARTS"
}
if wait_for 10 resolved; then
    e2e_ok "resolve delivered with endsAt = resolve time"
else
    e2e_not_ok "no resolve: $(tail -2 "$D/alerts.jsonl")"
fi

# 7. A new firing episode, then SIGKILL and restart: the episode survives.
echo 0 >"$D/value"
new_episode() { [ "$(last_alert startsAt)" != "$STARTS" ]; }
if wait_for 10 new_episode; then
    STARTS2=$(last_alert startsAt)
    sleep 1.5 # let the state file catch up with the last send
    kill -KILL "$HEED_PID"
    e2e_stop "$HEED_PID"
    before=$(alerts_count)
    start_heed
    if wait_for 10 more_alerts_than "$before" && [ "$(last_alert startsAt)" = "$STARTS2" ]; then
        e2e_ok "SIGKILL and restart: the firing episode continues (startsAt $STARTS2)"
    else
        e2e_not_ok "after SIGKILL: startsAt $STARTS2 -> $(last_alert startsAt)"
    fi
else
    e2e_not_ok "no new firing episode: $(tail -1 "$D/alerts.jsonl")"
fi
kill -TERM "$HEED_PID"
wait_for 15 exited "$HEED_PID"
e2e_stop "$HEED_PID"

# 8. Sharding: shards 0/2 and 1/2 split the groups between them.
printf 'datasource: {url: "http://127.0.0.1:%s"}\nrule_files: [rules.yml]\n' "$PORT" >"$D/shard.yml"
total=0
for i in 0 1; do
    "$HEED" run --config "$D/shard.yml" --shard $i/2 >"$D/shard$i.log" 2>&1 &
    pid=$!
    e2e_track $pid
    wait_for 5 grep -q 'Completed loading' "$D/shard$i.log"
    e2e_stop $pid
    n=$(sed -n 's/.*msg="Completed loading of configuration file".* groups=\([0-9]*\).*/\1/p' "$D/shard$i.log")
    total=$((total + ${n:-100}))
done
"$HEED" run --config "$D/shard.yml" --shard 2/2 >"$D/shard-bad.log" 2>&1
rc=$?
if [ $total = 2 ] && [ $rc = 2 ]; then
    e2e_ok "--shard 0/2 and 1/2 evaluate the two groups between them; 2/2 is a usage error"
else
    e2e_not_ok "sharding: groups in both shards $total (want 2), --shard 2/2 exit $rc"
fi

e2e_summary
