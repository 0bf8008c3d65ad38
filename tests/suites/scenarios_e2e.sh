#!/bin/sh
# End-to-end: scenarios 1, 2 and 5 of design/SCENARIOS.md through `heed run`
# with the real Prometheus as its backend and the real Alertmanager as its
# notifier (every process on 127.0.0.1), under heed's default semantics and
# under the compat profile (Prometheus's behaviour, proving the switch is
# real). Asserts the alert states and freshness in heed's API, the alerts
# active in Alertmanager's v2 API with their heed_* annotations, and the
# notifications Alertmanager sent on (a webhook receiver records them, so
# resolves and their reasons are visible too).
#
# Why live and compressed, not the recorded examples/ series: `heed run`
# evaluates at wall-clock time, and blocks backfilled with promtool carry no
# staleness markers (scenario 1 is about series that end). So Prometheus
# scrapes a loopback target of this test (tests/e2e/scenario_target.py) that
# plays each story of examples/ at 1s scrapes and 1s evaluations, windows
# and durations scaled from minutes to seconds (5m -> 5s, max_hold 1h ->
# 15s, max_unchanged 15m -> 5s). The same stories over the recorded series,
# at their own time scale, are tests/unit/scenarios_test.c (embedded backend).
# Scenario 5 also kills heed with SIGKILL (firing stays firing, pending keeps
# its for progress, no second page), stops the backend and Alertmanager.
# SCENARIOS="1 5" runs some of them. Takes about 3.5 minutes.
# Skips (exit 0) if Prometheus or Alertmanager is not installed.
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$(pwd)/bin/heed}
. tests/e2e/lib.sh
if ! e2e_have_prometheus || ! e2e_have_alertmanager; then
    echo "skip: Prometheus or Alertmanager is not installed"
    echo "0 passed, 0 failed"
    exit 0
fi
e2e_init
D=$E2E_DIR
CHECK="python3 tests/e2e/scen_check.py"

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

# ---- Alertmanager (fixed port, so it can come back where heed expects it) ----
python3 tests/e2e/webhook_recorder.py "$D/hookport" "$D/notifications" >/dev/null 2>&1 &
e2e_track $!
wait_for 10 test -s "$D/hookport"
AMPORT=$(e2e_free_port)
AM_URL="http://127.0.0.1:$AMPORT"
cat >"$D/alertmanager.yml" <<EOF
route:
  receiver: hook
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$(cat "$D/hookport")/
        send_resolved: true
EOF
AM_PID=
am_up() {
    mkdir -p "$D/am-data"
    "$E2E_ALERTMANAGER" --config.file="$D/alertmanager.yml" --storage.path="$D/am-data" \
        --web.listen-address="127.0.0.1:$AMPORT" --cluster.listen-address= --log.level=warn \
        >>"$D/alertmanager.log" 2>&1 &
    AM_PID=$!
    e2e_track $AM_PID
    e2e_wait_url "$AM_URL/-/ready" 30
}
am_down() {
    e2e_stop "$AM_PID"
}
am_up || {
    e2e_not_ok "alertmanager did not start: $(tail -3 "$D/alertmanager.log")"
    e2e_summary
    exit 1
}

# ---- one run: a target playing the story, Prometheus scraping it, heed ----
PROM_PID=
HEED_PID=
TARGET_PID=
# run_start NAME PROFILE RULES: a fresh folder $R, the story's first spec in $R/spec
run_start() {
    RUN=$1-$2
    R=$D/$RUN
    mkdir -p "$R/state" "$R/prom-data"
    if [ "$2" = compat ]; then
        sed '/# heed:/d' "$3" >"$R/rules.yml" # Prometheus has no directives
        fresh="freshness: {profile: compat}"
    else
        cp "$3" "$R/rules.yml"
        fresh="freshness: {profile: default, defaults: {max_hold: 15s}}"
    fi
    python3 tests/e2e/scenario_target.py "$R/tport" "$R/spec" >/dev/null 2>&1 &
    TARGET_PID=$!
    e2e_track $TARGET_PID
    wait_for 10 test -s "$R/tport"
    TARGET=127.0.0.1:$(cat "$R/tport")
    cat >"$R/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: target
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs: [{targets: ['$TARGET']}]
EOF
    PROMPORT=$(e2e_free_port)
    PROM_URL="http://127.0.0.1:$PROMPORT"
    prom_up || return 1
    WEBPORT=$(e2e_free_port)
    HEED_URL="http://127.0.0.1:$WEBPORT"
    cat >"$R/heed.yml" <<EOF
datasource: {url: "$PROM_URL"}
alertmanagers: [{url: "$AM_URL"}]
rule_files: [rules.yml]
state_dir: $R/state
resend_delay: 1s
external_labels: {run: $RUN}
web: {listen_address: "127.0.0.1:$WEBPORT"}
$fresh
EOF
    "$HEED" run --config "$R/heed.yml" >>"$R/heed.log" 2>&1 &
    HEED_PID=$!
    e2e_track $HEED_PID
    e2e_wait_url "$HEED_URL/-/ready" 20 || {
        e2e_not_ok "$RUN: heed did not become ready: $(tail -3 "$R/heed.log")"
        return 1
    }
}
prom_up() {
    "$E2E_PROMETHEUS" --config.file="$R/prometheus.yml" --storage.tsdb.path="$R/prom-data" \
        --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$PROMPORT" --log.level=warn \
        >>"$R/prometheus.log" 2>&1 &
    PROM_PID=$!
    e2e_track $PROM_PID
    e2e_wait_url "$PROM_URL/-/ready" 60 || {
        e2e_not_ok "$RUN: prometheus did not start: $(tail -3 "$R/prometheus.log")"
        return 1
    }
}
run_stop() {
    [ -n "$HEED_PID" ] && e2e_stop "$HEED_PID"
    [ -n "$PROM_PID" ] && e2e_stop "$PROM_PID"
    [ -n "$TARGET_PID" ] && e2e_stop "$TARGET_PID"
    HEED_PID= PROM_PID= TARGET_PID=
}

# Assertions on the current run ($RUN): an alert is selected by its name
# and label=value pairs; run=$RUN is added (alerts of earlier runs stay in
# Alertmanager until they end).
am_of() { n=$1; shift; $CHECK am "$AM_URL" "$n" run="$RUN" "$@"; }
heed_of() { n=$1; shift; $CHECK heed "$HEED_URL" "$n" "$@"; }
hook_of() { s=$1; n=$2; shift 2; $CHECK webhook "$D/notifications" "$s" "$n" run="$RUN" "$@"; }
hook_count() { s=$1; n=$2; shift 2; $CHECK count "$D/notifications" "$s" "$n" run="$RUN" "$@"; }
am_active() { [ "$(am_of "$@")" != none ]; }
am_gone() { [ "$(am_of "$@")" = none ]; }
heed_is() { w=$1; shift; [ "$(heed_of "$@")" = "$w" ]; }
resolved() { [ "$(hook_count resolved "$@")" -gt 0 ]; }
# expect DESCRIPTION COMMAND...: one test point
expect() {
    what=$1
    shift
    if "$@"; then
        e2e_ok "$RUN: $what"
    else
        e2e_not_ok "$RUN: $what (heed log: $(grep -v 'level=info' "$R/heed.log" | tail -2))"
    fi
}
# expect_eq DESCRIPTION GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then
        e2e_ok "$RUN: $1"
    else
        e2e_not_ok "$RUN: $1: got $2, want $3"
    fi
}
# series_of NAME POD: a scraped series as heed names it in reasons
series_of() { echo "$1{instance=\\\"$TARGET\\\", job=\\\"target\\\", pod=\\\"$2\\\"}"; }

# SCENARIOS="1 5" runs some of them (all by default)
want_scenario() {
    case " ${SCENARIOS:-1 2 5} " in *" $1 "*) return 0 ;; esac
    return 1
}

# ---- 1. the spike that was fixed, and the alert that stayed ----
cat >"$D/s1.rules.yml" <<'EOF'
groups:
  - name: api
    interval: 1s
    rules:
      - alert: HighErrorRate
        expr: rate(errors_total[5s]) / rate(requests_total[5s]) > 0.05
        for: 3s
        labels: {severity: page}
        annotations: {summary: "error ratio on {{ $labels.pod }}"}
EOF
s1_spike() {
    for p in a b c; do
        printf 'requests_total{pod="%s"} counter 10\nerrors_total{pod="%s"} counter 2\n' $p $p
    done >"$R/spec"
}
# the fix: a keeps running without errors, b and c are replaced by d and e
s1_fixed() {
    for p in a d e; do
        printf 'requests_total{pod="%s"} counter 10\nerrors_total{pod="%s"} counter 0\n' $p $p
    done >"$R/spec"
}
s1_fire() {
    ok=1
    for p in a b c; do
        wait_for 30 am_active HighErrorRate pod=$p || ok=0
    done
    expect "spike: pods a, b, c firing in Alertmanager" test $ok = 1
}

for profile in default compat; do
    want_scenario 1 || break
    run_start s1 $profile "$D/s1.rules.yml" || { run_stop; continue; }
    s1_spike
    s1_fire
    s1_fixed
    if [ $profile = default ]; then
        # b's series ended (staleness markers): held, not resolved, named
        expect "pod b held on gone inputs (heed API firing/held)" wait_for 20 heed_is firing/held HighErrorRate pod=b
        expect "pod c held too" wait_for 5 heed_is firing/held HighErrorRate pod=c
        # the series are listed in fingerprint order: either may come first
        gone_b="$(series_of errors_total b) (gone), $(series_of requests_total b) (gone)"
        gone_b2="$(series_of requests_total b) (gone), $(series_of errors_total b) (gone)"
        want='{"heed_freshness": "held", "heed_stale_reason": "inputs gone", "heed_stale_series": "'
        b_held_in_am() {
            ann=$(am_of HighErrorRate pod=b | sed 's/ [^ ]*$//')
            case $ann in
            "$want$gone_b"'", "heed_stale_since": "20'*'Z", "summary": "error ratio on b"}' | \
                "$want$gone_b2"'", "heed_stale_since": "20'*'Z", "summary": "error ratio on b"}') return 0 ;;
            esac
            return 1
        }
        # Alertmanager learns of the held state with heed's next send of b,
        # which may come a little after heed's own API shows it.
        if wait_for 20 b_held_in_am; then
            e2e_ok "$RUN: Alertmanager shows b held, why, which series, since when"
        else
            e2e_not_ok "$RUN: b's annotations in Alertmanager: $ann (want $want$gone_b...)"
        fi
        # a's inputs are fresh and healthy: an explicit resolve with its reason
        expect "pod a resolved explicitly" wait_for 20 resolved HighErrorRate pod=a
        expect_eq "pod a's resolve reason" "$(hook_of resolved HighErrorRate pod=a)" \
            '{"heed_resolve_reason": "no longer returned; its inputs are fresh", "summary": "error ratio on a"}'
        expect_eq "pod b not resolved while held" "$(hook_count resolved HighErrorRate pod=b)" 0
        expect "new pods d, e never alert" sh -c "[ \"\$($CHECK count $D/notifications firing HighErrorRate run=$RUN pod=d)\" = 0 ] && [ \"\$($CHECK count $D/notifications firing HighErrorRate run=$RUN pod=e)\" = 0 ]"
        # max_hold (15s) passes: resolved, with the reason stated
        expect "pod b resolved after max_hold" wait_for 30 resolved HighErrorRate pod=b
        got=$(hook_of resolved HighErrorRate pod=b)
        want=$(printf '"heed_resolve_reason": "max_hold 15s passed; inputs gone since ')
        case $got in
        '{'"$want"20*"Z: $gone_b"'", "summary": "error ratio on b"}' | '{'"$want"20*"Z: $gone_b2"'", "summary": "error ratio on b"}')
            e2e_ok "$RUN: b's resolve says max_hold passed, since when, which series" ;;
        *) e2e_not_ok "$RUN: b's resolve annotations: $got" ;;
        esac
        expect "pod c resolved after max_hold too" wait_for 10 resolved HighErrorRate pod=c
    else
        # Prometheus: the vanished pods resolve as soon as the expression
        # stops returning them, silently, like the healthy one
        expect "pod a resolved" wait_for 20 resolved HighErrorRate pod=a
        expect "pod b resolved (its series vanished)" wait_for 20 resolved HighErrorRate pod=b
        expect "pod c resolved (its series vanished)" wait_for 10 resolved HighErrorRate pod=c
        expect_eq "pod b's resolve carries no reason" "$(hook_of resolved HighErrorRate pod=b)" \
            '{"summary": "error ratio on b"}'
        expect_eq "pod a's resolve carries no reason" "$(hook_of resolved HighErrorRate pod=a)" \
            '{"summary": "error ratio on a"}'
    fi
    run_stop
done

# ---- 2. the frozen /metrics endpoint ----
cat >"$D/s2.rules.yml" <<'EOF'
groups:
  - name: worker
    interval: 1s
    rules:
      # an error counter may rightly stay flat: only requests_total must move
      # heed: max-unchanged=requests_total:5s max-hold=1h
      - alert: ErrorBudgetBurn
        expr: rate(errors_total[10s]) / rate(requests_total[10s]) > 0.05
        for: 3s
        annotations: {summary: "error budget burning"}
      # heed: max-unchanged=5s
      - alert: HighLatency
        expr: latency_seconds > 1
        for: 10s
        annotations: {summary: "latency high"}
EOF
for profile in default compat; do
    want_scenario 2 || break
    run_start s2 $profile "$D/s2.rules.yml" || { run_stop; continue; }
    printf 'requests_total{pod="w1"} counter 20\nerrors_total{pod="w1"} counter 2\nlatency_seconds{pod="w1"} gauge 0.4\n' >"$R/spec"
    expect "errors burning: ErrorBudgetBurn firing in Alertmanager" wait_for 30 am_active ErrorBudgetBurn pod=w1
    # the worker keeps answering scrapes with the same numbers (latency stuck high)
    printf 'requests_total{pod="w1"} counter 0\nerrors_total{pod="w1"} counter 0\nlatency_seconds{pod="w1"} gauge 1.5\n' >"$R/spec"
    if [ $profile = default ]; then
        expect "frozen requests_total: ErrorBudgetBurn held (heed API firing/held)" \
            wait_for 15 heed_is firing/held ErrorBudgetBurn pod=w1
        want='{"heed_freshness": "held", "heed_stale_reason": "inputs frozen", "heed_stale_series": "'"$(series_of requests_total w1) (frozen)"'", "heed_stale_since": "20'
        am_shows_held() {
            case $(am_of ErrorBudgetBurn pod=w1) in
            "$want"*'Z", "summary": "error budget burning"} '*) return 0 ;;
            esac
            return 1
        }
        # (the first re-send may still say "stale": held is decided on the next evaluation)
        expect "Alertmanager shows it held on the frozen series, why, since when" wait_for 5 am_shows_held
        want='"description": "'"$(series_of requests_total w1) (frozen)"'", "summary": "inputs of rule ErrorBudgetBurn: 0 late, 1 frozen, 0 gone"}'
        selfmon_names_series() {
            case $(am_of HeedRuleInputsStale rule=ErrorBudgetBurn) in
            *"$want"*) return 0 ;;
            esac
            return 1
        }
        expect "HeedRuleInputsStale fires naming the frozen series" wait_for 10 selfmon_names_series
        # heed's /metrics: the frozen input counted, the ages and the ingestion lag of the rule
        curl -s --noproxy '*' "$HEED_URL/metrics" >"$R/metrics"
        expect "/metrics counts the frozen input" \
            grep -q '^heed_rule_inputs_stale{rule_group="[^"]*;worker",rule="ErrorBudgetBurn",class="frozen"} 1$' "$R/metrics"
        expect "/metrics: no late or gone input" sh -c "grep -q 'rule=\"ErrorBudgetBurn\",class=\"late\"} 0\$' '$R/metrics' && grep -q 'rule=\"ErrorBudgetBurn\",class=\"gone\"} 0\$' '$R/metrics'"
        lag=$(sed -n 's/^heed_rule_ingestion_lag_seconds{rule_group="[^"]*;worker",rule="ErrorBudgetBurn"} //p' "$R/metrics")
        med=$(sed -n 's/^heed_rule_input_median_age_seconds{rule_group="[^"]*;worker",rule="ErrorBudgetBurn"} //p' "$R/metrics")
        worst=$(sed -n 's/^heed_rule_input_worst_age_seconds{rule_group="[^"]*;worker",rule="ErrorBudgetBurn"} //p' "$R/metrics")
        expect "/metrics: ingestion lag $lag s, median age $med s, worst age $worst s (scraped every 1s)" \
            python3 -c "import sys; l, m, w = map(float, sys.argv[1:]); sys.exit(not (0 <= l <= m <= w < 3))" "$lag" "$med" "$worst"
        # the same figures in heed's freshness API endpoint
        curl -s --noproxy '*' "$HEED_URL/api/v1/freshness" >"$R/freshness.json"
        expect "/api/v1/freshness: ErrorBudgetBurn 1 frozen input, its median age and ingestion lag" python3 -c '
import json, sys
for g in json.load(open(sys.argv[1]))["data"]["groups"]:
    for r in g["rules"]:
        if r["name"] == "ErrorBudgetBurn":
            ok = (r["inputsFrozen"], r["inputsLate"], r["inputsGone"]) == (1, 0, 0)
            ok = ok and 0 <= r["ingestionLag"] <= r["medianAge"] < 3
            sys.exit(0 if ok else 1)
sys.exit(1)' "$R/freshness.json"
        # the frozen latency neither fires nor resolves: for 10s > max_unchanged 5s
        sleep 8
        expect_eq "HighLatency on a frozen value does not advance (heed API)" "$(heed_of HighLatency pod=w1)" pending/stale
        expect "HighLatency never reached Alertmanager" am_gone HighLatency pod=w1
        expect_eq "ErrorBudgetBurn not resolved on frozen data" "$(hook_count resolved ErrorBudgetBurn pod=w1)" 0
        expect "ErrorBudgetBurn still firing in Alertmanager" am_active ErrorBudgetBurn pod=w1
    else
        # Prometheus: rate() of frozen counters is 0/0: the alert resolves;
        # the frozen latency fires; nobody is told the data died
        expect "ErrorBudgetBurn resolved (rate over frozen counters)" wait_for 20 resolved ErrorBudgetBurn pod=w1
        expect_eq "its resolve carries no reason" "$(hook_of resolved ErrorBudgetBurn pod=w1)" \
            '{"summary": "error budget burning"}'
        expect "HighLatency fires on the frozen value" wait_for 20 am_active HighLatency pod=w1
        expect "no HeedRuleInputsStale" am_gone HeedRuleInputsStale rule=ErrorBudgetBurn
    fi
    run_stop
done

# ---- 5. who watches the watcher ----
cat >"$D/s5.rules.yml" <<'EOF'
groups:
  - name: api
    interval: 1s
    rules:
      - alert: ApiErrors
        expr: rate(errors_total[5s]) / rate(requests_total[5s]) > 0.05
        for: 2s
        annotations: {summary: "api errors"}
      - alert: ApiErrorsSustained
        expr: rate(errors_total[5s]) / rate(requests_total[5s]) > 0.05
        for: 20s
        annotations: {summary: "api errors for a while"}
EOF
# explicit resolves Alertmanager received from its clients (not its own timeouts)
am_resolves_received() {
    curl -s --noproxy '*' "$AM_URL/metrics" | sed -n 's/^alertmanager_alerts_received_total{status="resolved",version="v2"} //p'
}
health_is() { [ "$($CHECK health "$HEED_URL" ApiErrors)" = "$1" ]; }
heed_none() { [ "$(heed_of ApiErrors pod=api)" = none ]; }
for profile in default compat; do
    want_scenario 5 || break
    run_start s5 $profile "$D/s5.rules.yml" || { run_stop; continue; }
    printf 'requests_total{pod="api"} counter 10\nerrors_total{pod="api"} counter 5\n' >"$R/spec"
    expect "HeedWatchdog always firing in Alertmanager" wait_for 20 am_active HeedWatchdog
    expect "ApiErrors firing" wait_for 30 am_active ApiErrors pod=api
    starts=$(am_of ApiErrors pod=api | sed 's/.* //')
    # heed killed with SIGKILL while ApiErrors fires and ApiErrorsSustained is pending
    expect_eq "ApiErrorsSustained pending" "$(heed_of ApiErrorsSustained pod=api)" pending/fresh
    active=$($CHECK active-at "$HEED_URL" ApiErrorsSustained pod=api)
    sleep 2 # the state file follows each change
    kill -KILL "$HEED_PID"
    e2e_stop "$HEED_PID"
    "$HEED" run --config "$R/heed.yml" >>"$R/heed.log" 2>&1 &
    HEED_PID=$!
    e2e_track $HEED_PID
    e2e_wait_url "$HEED_URL/-/ready" 20
    expect "restarted: ApiErrors firing again in heed" wait_for 10 heed_is firing/fresh ApiErrors pod=api
    expect_eq "restarted: ApiErrorsSustained keeps its for progress (same activeAt)" \
        "$($CHECK active-at "$HEED_URL" ApiErrorsSustained pod=api)" "$active"
    expect_eq "restarted: ApiErrors the same episode in Alertmanager (startsAt)" "$(am_of ApiErrors pod=api | sed 's/.* //')" "$starts"
    expect "ApiErrorsSustained fires 20s after it became pending, not after the restart" wait_for 30 am_active ApiErrorsSustained pod=api
    sus=$(am_of ApiErrorsSustained pod=api | sed 's/.* //')
    expect "its startsAt ($sus) is activeAt ($active) + 20s, within 2 evaluations" python3 -c '
import sys
from datetime import datetime
f = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
sys.exit(0 if 20 <= f(sys.argv[1]) - f(sys.argv[2]) <= 22.5 else 1)' "$sus" "$active"
    expect_eq "no second page for ApiErrors (one firing episode notified)" \
        "$(python3 -c '
import json, sys
s = {json.loads(l)["startsAt"] for l in open(sys.argv[1]) if json.loads(l)["status"] == "firing"
     and json.loads(l)["labels"].get("alertname") == "ApiErrors" and json.loads(l)["labels"].get("run") == sys.argv[2]}
print(len(s))' "$D/notifications" "$RUN")" 1
    # the backend goes away
    resolves_before=$(am_resolves_received)
    e2e_stop "$PROM_PID"
    PROM_PID=
    expect "backend down: rule health err" wait_for 15 health_is err
    expect "backend down: HeedDatasourceFailing fires" wait_for 15 am_active HeedDatasourceFailing
    sleep 6 # longer than the endsAt heed gives each notification (4 x 1s)
    if [ $profile = default ]; then
        expect_eq "backend down: heed holds ApiErrors firing" "$(heed_of ApiErrors pod=api)" firing/held
    else
        expect_eq "backend down: ApiErrors keeps its state" "$(heed_of ApiErrors pod=api)" firing/fresh
    fi
    expect_eq "backend down: no explicit resolve reached Alertmanager" "$(am_resolves_received)" "$resolves_before"
    if [ $profile = default ]; then
        # heed keeps re-sending what it cannot re-evaluate: Alertmanager never times it out
        expect_eq "backend down: ApiErrors not resolved" "$(hook_count resolved ApiErrors pod=api)" 0
        expect "backend down: ApiErrors still active in Alertmanager" am_active ApiErrors pod=api
    else
        # Prometheus sends nothing for a rule that failed: Alertmanager times
        # the alert out and notifies a resolve nobody decided
        expect "backend down: Alertmanager timed ApiErrors out" resolved ApiErrors pod=api
        expect_eq "that resolve carries no reason" "$(hook_of resolved ApiErrors pod=api)" '{"summary": "api errors"}'
    fi
    # it comes back with its data
    prom_up || { run_stop; continue; }
    expect "backend back: rule health ok" wait_for 20 health_is ok
    expect "backend back: HeedDatasourceFailing resolved" wait_for 20 resolved HeedDatasourceFailing
    same_episode() { [ "$(am_of ApiErrors pod=api | sed 's/.* //')" = "$starts" ]; }
    new_episode() {
        now=$(am_of ApiErrors pod=api | sed 's/.* //')
        [ "$now" != none ] && [ "$now" != "$starts" ]
    }
    if [ $profile = default ]; then
        # the outage left a hole in the data: the rate is empty for a while,
        # but its inputs are not fresh, so heed holds the episode
        expect "backend back: ApiErrors firing in Alertmanager, same startsAt" wait_for 10 same_episode
    else
        # Prometheus resolves on the empty rate right after the hole, then the
        # alert goes through pending again: a new episode, a second page
        expect "backend back: ApiErrors fires again as a new episode (new startsAt)" wait_for 15 new_episode
    fi
    resolved_before_am=$(hook_count resolved ApiErrors pod=api)
    # Alertmanager down while the errors stop: the resolve arrives after it returns
    am_down
    printf 'requests_total{pod="api"} counter 10\nerrors_total{pod="api"} counter 0\n' >"$R/spec"
    expect "Alertmanager down: heed resolves ApiErrors (gone from heed's API)" wait_for 20 heed_none
    sleep 2
    am_up || e2e_not_ok "$RUN: alertmanager did not come back"
    resolved_more() { [ "$(hook_count resolved ApiErrors pod=api)" -gt "$resolved_before_am" ]; }
    expect "Alertmanager back: the resolve is delivered" wait_for 20 resolved_more
    if [ $profile = default ]; then
        expect_eq "the resolve says why" "$(hook_of resolved ApiErrors pod=api)" \
            '{"heed_resolve_reason": "no longer returned; its inputs are fresh", "summary": "api errors"}'
    else
        expect_eq "the resolve carries no reason" "$(hook_of resolved ApiErrors pod=api)" '{"summary": "api errors"}'
    fi
    expect "HeedWatchdog firing again in Alertmanager" wait_for 20 am_active HeedWatchdog
    run_stop
done

e2e_summary
