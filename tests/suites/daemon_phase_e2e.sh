#!/bin/sh
# End-to-end: heed places every rule group at the same phase inside its
# interval as the real Prometheus does (XXH64 of {file, name}). Prometheus
# evaluates a rule file with three groups; the timestamps of its recorded
# samples, modulo the interval, must equal the phase heed computes for the
# same file and group names. Skips (exit 0) if Prometheus is not installed.
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$(pwd)/bin/heed}
. tests/e2e/lib.sh
if ! e2e_have_prometheus; then
    echo "skip: $E2E_PROMETHEUS is not installed"
    echo "0 passed, 0 failed"
    exit 0
fi
e2e_init
D=$E2E_DIR
cat >"$D/phase.yml" <<'EOF2'
groups:
  - {name: alpha, interval: 3s, rules: [{record: phase_alpha, expr: vector(1)}]}
  - {name: beta, interval: 3s, rules: [{record: phase_beta, expr: vector(1)}]}
  - {name: "a somewhat longer group name", interval: 3s, rules: [{record: phase_gamma, expr: vector(1)}]}
EOF2
cat >"$D/prometheus.yml" <<EOF2
global: {evaluation_interval: 3s}
rule_files: ["$D/phase.yml"]
EOF2
e2e_prometheus_start || { e2e_not_ok "prometheus did not start"; e2e_summary; exit 1; }
# Prometheus 3 hashes its stringlabels encoding, Prometheus 2 its slice labels.
major=$("$E2E_PROMETHEUS" --version 2>&1 | sed -n 's/^prometheus, version \([0-9]*\).*/\1/p')
phase=prometheus3
[ "${major:-3}" -lt 3 ] && phase=prometheus2
cat >"$D/heed.yml" <<EOF2
datasource: {url: "$E2E_PROM_URL"}
rule_files: ["$D/phase.yml"]
group_phase: $phase
EOF2
"$HEED" run --config "$D/heed.yml" --log.level debug >"$D/heed.log" 2>&1 &
e2e_track $!
sleep 8 # a few evaluations of every group in Prometheus

for pair in "alpha phase_alpha" "beta phase_beta" "a somewhat longer group name|phase_gamma"; do
    case $pair in
    *"|"*) group=${pair%|*}; record=${pair#*|} ;;
    *) group=${pair% *}; record=${pair#* } ;;
    esac
    phase_ns=$(grep "msg=\"Rule group scheduled\"" "$D/heed.log" | grep -F "group=\"$group\"" | sed -n 's/.*phase_ns=\([0-9]*\).*/\1/p')
    [ -n "$phase_ns" ] || phase_ns=$(grep "msg=\"Rule group scheduled\"" "$D/heed.log" | grep -F "group=$group " | sed -n 's/.*phase_ns=\([0-9]*\).*/\1/p')
    got=$(curl -s --noproxy '*' "$E2E_PROM_URL/api/v1/query" --data-urlencode "query=$record[1m]" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(" ".join(sorted({str(round(float(t) * 1000) % 3000) for t, _ in r[0]["values"]})) if r else "none")')
    want=$((phase_ns / 1000000))
    if [ -n "$phase_ns" ] && [ "$got" = "$want" ]; then
        e2e_ok "group \"$group\": Prometheus $major's samples at phase ${got} ms, heed's ($phase) ${want} ms"
    else
        e2e_not_ok "group \"$group\": Prometheus's sample phases (ms mod 3000): $got, heed's phase_ns: $phase_ns"
    fi
done
e2e_summary
