#!/bin/sh
# One evaluation tick of 1,000 rules over 10,000 series (bench/gen_tick.py),
# side by side on the same data in one real Prometheus on 127.0.0.1:
#   heed        the daemon's per-group work (bench_tick_driver: planning pass,
#               group_eval over the datasource, groups one after another),
#               against the Prometheus below as its datasource; every window
#               fetched whole (its ticks follow each other closely, so
#               incremental reuse would flatter it: `heed run` shows that)
#   prometheus  Prometheus's own rule evaluation of the same file (loaded
#               with a configuration reload, unloaded after its turn)
#   vmalert     Debian's vmalert against the same Prometheus (recording
#               results remote-written to it, alerts to a real Alertmanager)
#   heed run    the daemon itself when the build has it, configured as
#               vmalert is (its defaults: planning pass per group tick,
#               incremental fetches); CPU (with the backend's) and memory over
#               whole intervals; wall: the sum over the groups of
#               prometheus_rule_group_last_duration_seconds from its /metrics,
#               read once per interval (median of the reads)
#   heed, no presence queries: the driver with the datasource's
#               exact_staleness off (half the requests)
# TURNS (default "heed prometheus vmalert heed_inexact daemon") picks the
# turns to take; DAEMON_CONFIG adds lines to heed run's configuration (e.g.
# "incremental_fetch: false" or "refetch_overlap: 1m").
# ROUNDS rounds (default 3), the turns taken one after another in each. Every turn
# skips a first tick (connections, caches), then measures TICKS ticks
# (default 3) at an evaluation interval of INTERVAL seconds (default 10):
#   tick wall   the sum over the 20 groups of their evaluation time (groups
#               are staggered over the interval by both peers, so this is
#               the work of a tick one group after another): heed's own
#               clock; Prometheus's prometheus_rule_group_duration_seconds
#               and vmalert's vmalert_iteration_duration_seconds (delta of
#               _sum over delta of _count, times the number of groups)
#   cpu         user+system of the evaluator and of the backend together
#               per tick, from /proc/PID/stat before and after the measured
#               ticks (for Prometheus evaluator and backend are one process)
#   memory      peak RSS of the evaluator (Prometheus: the whole server,
#               its storage included)
# Medians over the rounds, and ratios peer/heed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
HEED=${HEED:-$root/bin/heed}
BUILD=${BUILD:-$root/build/release}
DRIVER=${DRIVER:-$BUILD/bench/bench_tick_driver}
VMALERT=${VMALERT:-/usr/bin/vmalert}
ROUNDS=${ROUNDS:-3}
TICKS=${TICKS:-3}
INTERVAL=${INTERVAL:-10}
TURNS=${TURNS:-heed prometheus vmalert heed_inexact daemon}
. "$here/lib.sh"
. "$root/tests/e2e/lib.sh"

if ! e2e_have_prometheus || ! e2e_have_alertmanager || [ ! -x "$VMALERT" ]; then
    echo "tick: needs prometheus, promtool, prometheus-alertmanager and vmalert: skipped"
    exit 0
fi
[ -x "$DRIVER" ] || { echo "tick: $DRIVER not built (make bench builds it)" >&2; exit 1; }

e2e_init
# e2e_cleanup's kills of processes already gone must not fail the run under set -e
trap 'st=$?; set +e; e2e_cleanup; exit $st' EXIT
trap 'set +e; e2e_cleanup; exit 130' INT
trap 'set +e; e2e_cleanup; exit 143' TERM
dir=$E2E_DIR
t_start=$(date +%s)
# The data runs 40 minutes past now: the peers evaluate at the wall clock.
python3 "$here/gen_tick.py" "$dir" --end "$t_start" --before 70 --after 40 >"$dir/gen.out"
nseries=$(awk '{ print $1 }' "$dir/gen.out")
nrules=$(awk '{ print $3 }' "$dir/gen.out")
ngroups=$(grep -c '^  - name:' "$dir/rules.yml")
e2e_backfill "$dir/data.om"
rm -f "$dir/data.om"

# The backfilled blocks end in the future, so results written now (the
# peers' recording rules) are older than the newest block: accepted only
# inside the out-of-order window.
write_config() {
    {
        echo "global:"
        echo "  evaluation_interval: ${INTERVAL}s"
        echo "storage:"
        echo "  tsdb:"
        echo "    out_of_order_time_window: 3h"
        if [ "$1" = rules ]; then
            echo "rule_files:"
            echo "  - $dir/rules.yml"
        fi
    } >"$dir/prometheus.yml"
}
write_config none
e2e_prometheus_start
P=$E2E_PROM_PID
URL=$E2E_PROM_URL
e2e_alertmanager_start

# metric_sum URL NAME: the sum of every sample of the metric NAME (all labels)
metric_sum() {
    curl -s "$1/metrics" | awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%.6f\n", s }'
}

# reload_prom: makes P read its configuration again and waits until the
# number of loaded groups is $1.
reload_prom() {
    kill -HUP "$P"
    n=0
    while [ $n -lt 300 ]; do
        g=$(curl -s "$URL/api/v1/rules" | grep -o '"name":"svc-[0-9]*\.[a-z]*"' | wc -l)
        [ "$g" -eq "$1" ] && return 0
        sleep 0.1
        n=$((n + 1))
    done
    echo "tick: prometheus did not load $1 groups after a reload" >&2
    return 1
}

# query_bytes: bytes the backend has answered on /api/v1/query so far
# (its own prometheus_http_response_size_bytes_sum for that handler).
query_bytes() {
    curl -s "$URL/metrics" | awk '$1 == "prometheus_http_response_size_bytes_sum{handler=\"/api/v1/query\"}" { printf "%.0f\n", $2 }'
}

# wait_count URL NAME TARGET: waits until the sum of counter NAME reaches TARGET.
wait_count() {
    n=0
    while [ $n -lt $((INTERVAL * 30)) ]; do
        c=$(metric_sum "$1" "$2")
        awk -v c="$c" -v t="$3" 'BEGIN { exit !(c >= t) }' && return 0
        sleep 0.2
        n=$((n + 1))
    done
    echo "tick: $2 did not reach $3" >&2
    return 1
}

# measure_peer NAME EVAL_URL DUR_SUM DUR_COUNT EVAL_PID: from the next
# completed tick of every group, measures TICKS ticks; appends
# "wall_s cpu_s peak_rss_kb" per tick to $dir/NAME.
measure_peer() {
    name=$1 eurl=$2 dsum=$3 dcount=$4 epid=$5
    # warm-up: every group evaluated once
    wait_count "$eurl" "$dcount" "$ngroups"
    c0=$(metric_sum "$eurl" "$dcount")
    s0=$(metric_sum "$eurl" "$dsum")
    e0=$(proc_cpu_s "$epid")
    b0=$(proc_cpu_s "$P")
    wait_count "$eurl" "$dcount" "$(awk -v c="$c0" -v g="$ngroups" -v k="$TICKS" 'BEGIN { print c + g * k }')"
    c1=$(metric_sum "$eurl" "$dcount")
    s1=$(metric_sum "$eurl" "$dsum")
    e1=$(proc_cpu_s "$epid")
    b1=$(proc_cpu_s "$P")
    hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$epid/status")
    awk -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" -v e0="$e0" -v e1="$e1" -v b0="$b0" -v b1="$b1" \
        -v g="$ngroups" -v same="$([ "$epid" = "$P" ] && echo 1 || echo 0)" -v m="$hwm" 'BEGIN {
        ticks = (c1 - c0) / g
        cpu = (e1 - e0) + (same ? 0 : b1 - b0)
        printf "%.4f %.4f %s %.4f %.4f\n", (s1 - s0) / (c1 - c0) * g, cpu / ticks, m, (e1 - e0) / ticks, (same ? 0 : (b1 - b0) / ticks) }' \
        >>"$dir/$name"
}

# ---- the turns ----

# turn_heed NAME yes|no: the driver, with or without exact staleness
turn_heed() {
    b0=$(proc_cpu_s "$P")
    "$DRIVER" --datasource "$URL" --rules "$dir/rules.yml" --ticks $((TICKS + 1)) --pause-ms 200 \
        --exact-staleness "$2" >"$dir/driver.out" 2>"$dir/driver.err" || {
        echo "tick: the heed driver failed:" >&2
        cat "$dir/driver.err" >&2
        return 1
    }
    b1=$(proc_cpu_s "$P")
    awk '$1 == "tick" && $2 > 1 { print $4 / 1000, $6 / 1000 }' "$dir/driver.out" >"$dir/driver.ticks"
    # the backend does the same work every tick: its share is an even split
    awk -v w="$(median_of "$dir/driver.ticks" 1)" -v c="$(median_of "$dir/driver.ticks" 2)" \
        -v b0="$b0" -v b1="$b1" -v k=$((TICKS + 1)) \
        -v m="$(awk '$1 == "peak_rss_kb" { print $2 }' "$dir/driver.out")" 'BEGIN {
        b = (b1 - b0) / k
        printf "%.4f %.4f %s %.4f %.4f\n", w, c + b, m, c, b }' >>"$dir/$1"
    grep '^requests' "$dir/driver.out" >"$dir/$1.requests"
    grep -q "failed 0" "$dir/driver.out" || { echo "tick: heed rules failed" >&2; return 1; }
}

turn_prometheus() {
    write_config rules
    reload_prom "$ngroups"
    # counts restart with the groups: wait from the counts now
    base=$(metric_sum "$URL" prometheus_rule_group_iterations_total)
    wait_count "$URL" prometheus_rule_group_iterations_total "$(awk -v b="$base" -v g="$ngroups" 'BEGIN { print b + g }')"
    measure_peer prometheus "$URL" prometheus_rule_group_duration_seconds_sum prometheus_rule_group_iterations_total "$P"
    failures=$(metric_sum "$URL" prometheus_rule_evaluation_failures_total)
    write_config none
    reload_prom 0
    echo "$failures" >>"$dir/prometheus.failures"
}

turn_vmalert() {
    port=$(e2e_free_port)
    "$VMALERT" -datasource.url="$URL" -remoteWrite.url="$URL" -notifier.url="$E2E_AM_URL" \
        -rule="$dir/rules.yml" -evaluationInterval="${INTERVAL}s" -httpListenAddr="127.0.0.1:$port" \
        -loggerLevel=WARN >>"$dir/vmalert.log" 2>&1 &
    V=$!
    e2e_track $V
    e2e_wait_url "http://127.0.0.1:$port/health" 30 || { echo "tick: vmalert did not start" >&2; tail "$dir/vmalert.log" >&2; return 1; }
    measure_peer vmalert "http://127.0.0.1:$port" vmalert_iteration_duration_seconds_sum vmalert_iteration_total "$V"
    metric_sum "http://127.0.0.1:$port" vmalert_execution_errors_total >>"$dir/vmalert.failures"
    e2e_stop $V || true
}

# turn_daemon: `heed run` itself, configured as vmalert is: recording
# results remote-written to the backend, alerts to the Alertmanager. CPU
# (with the backend's) and memory over TICKS whole intervals after a warm-up
# of two intervals; wall from its /metrics once per interval.
turn_daemon() {
    hport=$(e2e_free_port)
    cat >"$dir/heed.yml" <<EOC
datasource:
  url: $URL
alertmanagers:
  - url: $E2E_AM_URL
rule_files: [$dir/rules.yml]
evaluation_interval: ${INTERVAL}s
remote_write: {url: $URL/api/v1/write}
web: {listen_address: 127.0.0.1:$hport}
${DAEMON_CONFIG:-}
EOC
    "$HEED" run --config "$dir/heed.yml" --log.level warn >>"$dir/daemon.log" 2>&1 &
    H=$!
    e2e_track $H
    sleep $((2 * INTERVAL))
    kill -0 $H 2>/dev/null || { echo "tick: heed run stopped:" >&2; tail "$dir/daemon.log" >&2; return 1; }
    e0=$(proc_cpu_s "$H")
    b0=$(proc_cpu_s "$P")
    q0=$(query_bytes)
    : >"$dir/daemon.walls"
    k=0
    while [ $k -lt "$TICKS" ]; do
        sleep "$INTERVAL"
        metric_sum "http://127.0.0.1:$hport" prometheus_rule_group_last_duration_seconds >>"$dir/daemon.walls"
        k=$((k + 1))
    done
    e1=$(proc_cpu_s "$H")
    b1=$(proc_cpu_s "$P")
    q1=$(query_bytes)
    hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$H/status")
    awk -v w="$(median_of "$dir/daemon.walls" 1)" -v e0="$e0" -v e1="$e1" -v b0="$b0" -v b1="$b1" -v k="$TICKS" -v m="$hwm" \
        -v q0="${q0:-0}" -v q1="${q1:-0}" 'BEGIN {
        printf "%.4f %.4f %s %.4f %.4f %.0f\n", w, (e1 - e0 + b1 - b0) / k, m, (e1 - e0) / k, (b1 - b0) / k, (q1 - q0) / k }' >>"$dir/daemon"
    e2e_stop $H || true
}
have_daemon=0
"$HEED" run --help 2>&1 | grep -q -- --config && have_daemon=1

i=0
while [ $i -lt "$ROUNDS" ]; do
    if [ $(($(date +%s) - t_start)) -gt 1800 ]; then
        echo "tick: stopping after $i rounds: the data's future part runs out" >&2
        break
    fi
    for turn in $TURNS; do
        case $turn in
        heed) turn_heed heed yes ;;
        prometheus) turn_prometheus ;;
        vmalert) turn_vmalert ;;
        heed_inexact) turn_heed heed_inexact no ;;
        daemon) [ $have_daemon = 0 ] || turn_daemon ;;
        esac
    done
    i=$((i + 1))
done

# A Prometheus with no rules and no scrapes, idle over one interval: the
# floor under the backend's CPU figures.
i0=$(proc_cpu_s "$P")
sleep "$INTERVAL"
i1=$(proc_cpu_s "$P")

line() {
    printf '  %-30s wall %7s ms  cpu %7.0f ms (evaluator %6.0f + backend %6.0f)  peak %7.1f MB\n' "$1" \
        "$(median_of "$dir/$2" 1 | awk '{ if ($1 > 0) printf "%.0f", $1 * 1000; else print "n/a" }')" "$(median_of "$dir/$2" 2 | awk '{ print $1 * 1000 }')" \
        "$(median_of "$dir/$2" 4 | awk '{ print $1 * 1000 }')" "$(median_of "$dir/$2" 5 | awk '{ print $1 * 1000 }')" \
        "$(median_of "$dir/$2" 3 | awk '{ print $1 / 1024 }')"
}
rat() {
    awk -v a="$(median_of "$dir/$1" "$3")" -v b="$(median_of "$dir/$2" "$3")" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}
pver=$(prometheus --version 2>&1 | head -n 1 | awk '{ print $3 }')
vver=$(dpkg-query -W -f '${Version}' victoria-metrics 2>/dev/null || echo unknown)
vflag=$("$VMALERT" -version 2>&1 | head -n 1)
has() { [ -s "$dir/$1" ]; }
rounds=0
for t in heed daemon prometheus vmalert heed_inexact; do
    has $t && rounds=$(wc -l <"$dir/$t") && break
done
echo "tick: $nrules rules in $ngroups groups over $nseries series, one tick every ${INTERVAL}s; medians of $rounds rounds of $TICKS ticks each"
echo "  heed (driver): the daemon's per-group work driven by bench_tick_driver: planning pass, group_eval over"
echo "        the datasource, groups in sequence, every window fetched whole (no incremental reuse); results not written"
has daemon && echo "  heed run: the daemon, configured as vmalert is; cpu per interval over whole intervals; wall: sum of its groups' last durations"
echo "  vmalert: recording results remote-written to the backend, alerts sent to a real Alertmanager"
echo "  versions: $(prometheus --version 2>&1 | head -n 1); vmalert -version: '${vflag}' (Debian package victoria-metrics $vver)"
has heed && line "heed (driver)" heed
has heed_inexact && line "heed, no presence queries" heed_inexact
has daemon && line "heed run (the daemon)" daemon
has prometheus && line "prometheus $pver (own rules)" prometheus
has vmalert && line "vmalert $vver" vmalert
if has heed; then
    has prometheus && echo "  ratios prometheus/heed: wall $(rat prometheus heed 1)x  cpu $(rat prometheus heed 2)x"
    has vmalert && echo "  ratios vmalert/heed:    wall $(rat vmalert heed 1)x  cpu $(rat vmalert heed 2)x  evaluator memory $(rat vmalert heed 3)x"
fi
if has daemon; then
    has prometheus && echo "  ratios prometheus/heed run: wall $(rat prometheus daemon 1)x  cpu $(rat prometheus daemon 2)x"
    has vmalert && echo "  ratios vmalert/heed run:    wall $(rat vmalert daemon 1)x  cpu $(rat vmalert daemon 2)x  evaluator memory $(rat vmalert daemon 3)x"
fi
if has heed_inexact; then
    echo "  ratios with heed without presence queries: prometheus/heed wall $(rat prometheus heed_inexact 1)x cpu $(rat prometheus heed_inexact 2)x; vmalert/heed wall $(rat vmalert heed_inexact 1)x cpu $(rat vmalert heed_inexact 2)x"
fi
awk -v a="$i0" -v b="$i1" -v s="$INTERVAL" 'BEGIN { printf "  backend idle (no rules, no scrapes): %.0f ms cpu per %ss interval\n", (b - a) * 1000, s }'
has heed && echo "  rule failures: heed $(grep -h "^tick" "$dir/driver.out" | awk '{ s += $10 } END { print s + 0 }') (last run), prometheus $(tail -n 1 "$dir/prometheus.failures" 2>/dev/null || echo ?), vmalert $(tail -n 1 "$dir/vmalert.failures" 2>/dev/null || echo ?)"
has heed && echo "  heed datasource per run of $((TICKS + 1)) ticks: $(cat "$dir/heed.requests")"
has heed_inexact && echo "  without presence queries: $(cat "$dir/heed_inexact.requests")"
has daemon && echo "  heed run: the backend answered $(median_of "$dir/daemon" 6 | awk '{ printf "%.1f", $1 / 1e6 }') MB of /api/v1/query per interval"
echo "  (heed, no presence queries: the datasource without exact_staleness, inexact right after a series ends)"
echo "  memory: evaluator peak RSS; for prometheus the whole server (its storage of the $nseries series included)"
exit 0
