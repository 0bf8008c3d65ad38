#!/bin/sh
# The daemon's evaluation pool (evaluation_workers), against the loopback
# stub of tests/e2e/daemon_stub.py whose queries naming heed_slow take 2.5 s:
#   one worker, a slow group and three quick ones (1 s intervals): every
#   group is still evaluated (the due group with the earliest slot goes
#   first), and the slots that passed while the worker was busy are counted
#   as missed;
#   two workers: the slow group is never evaluated twice at once (at most
#   the two requests of one evaluation in progress at the stub), its own
#   overruns counted as missed, the quick groups keep their schedule.
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
echo 1 >"$D/value"
echo 2.5 >"$D/delay"
WEBPORT=$(e2e_free_port)

cat >"$D/rules.yml" <<'EOF'
groups:
  - {name: slow, interval: 1s, rules: [{record: slow:sum, expr: sum(heed_slow)}]}
  - {name: quick-a, interval: 1s, rules: [{record: a:sum, expr: sum(up)}]}
  - {name: quick-b, interval: 1s, rules: [{record: b:sum, expr: sum(up)}]}
  - {name: quick-c, interval: 1s, rules: [{record: c:sum, expr: sum(up)}]}
EOF
# run_heed WORKERS SECONDS: runs heed that long with that many workers and
# keeps its /metrics at the end in $D/metrics.WORKERS.
run_heed() {
    cat >"$D/heed.yml" <<EOF
datasource: {url: "http://127.0.0.1:$PORT"}
rule_files: [rules.yml]
web: {listen_address: "127.0.0.1:$WEBPORT"}
evaluation_workers: $1
EOF
    rm -f "$D/slow_max"
    "$HEED" run --config "$D/heed.yml" >>"$D/heed.log" 2>&1 &
    pid=$!
    e2e_track $pid
    sleep "$2"
    curl -s --noproxy '*' "http://127.0.0.1:$WEBPORT/metrics" >"$D/metrics.$1"
    kill -TERM $pid
    e2e_stop $pid || true
}
# metric WORKERS NAME GROUP: the value of NAME for the group (0 if absent).
metric() {
    awk -v n="$2" -v g="$3" 'index($1, n "{") == 1 && index($1, ";" g "\"") { v = $NF } END { print v + 0 }' "$D/metrics.$1"
}

run_heed 1 9
all=1
for g in slow quick-a quick-b quick-c; do
    [ "$(metric 1 prometheus_rule_group_iterations_total "$g")" -ge 2 ] || all=0
done
if [ $all = 1 ]; then
    e2e_ok "one worker: every group evaluated despite the slow one"
else
    e2e_not_ok "one worker: iterations $(grep '^prometheus_rule_group_iterations_total' "$D/metrics.1" | tr '\n' ' ')"
fi
missed=$(metric 1 prometheus_rule_group_iterations_missed_total quick-a)
if [ "$missed" -ge 1 ]; then
    e2e_ok "one worker: slots of a quick group that passed while the worker was busy counted as missed ($missed)"
else
    e2e_not_ok "one worker: quick-a missed $missed; $(grep '^prometheus_rule_group_iterations_missed_total' "$D/metrics.1" | tr '\n' ' ')"
fi

run_heed 2 9
smax=$(cat "$D/slow_max" 2>/dev/null || echo 0)
if [ "$smax" -ge 1 ] && [ "$smax" -le 2 ]; then
    e2e_ok "two workers: the slow group never evaluated twice at once (at most $smax slow requests at a time)"
else
    e2e_not_ok "two workers: $smax slow requests at once"
fi
smissed=$(metric 2 prometheus_rule_group_iterations_missed_total slow)
qmissed=$(metric 2 prometheus_rule_group_iterations_missed_total quick-b)
qiter=$(metric 2 prometheus_rule_group_iterations_total quick-b)
if [ "$smissed" -ge 1 ] && [ "$qiter" -ge 5 ]; then
    e2e_ok "two workers: the slow group's overruns counted as missed ($smissed), quick groups on schedule ($qiter iterations, $qmissed missed)"
else
    e2e_not_ok "two workers: slow missed $smissed, quick-b iterations $qiter missed $qmissed"
fi
e2e_summary
