#!/bin/sh
# heed test rules and freshness profiles: a rule whose input series ends
# resolves under compat (Prometheus, what promtool's files assert) and is
# held under --profile default; a directive above the rule opts it into
# heed's semantics; a bad directive is a load error at file:line:col.
set -u
: "${HEED:?}"
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/rules.yml" <<'YML'
groups:
  - name: g
    rules:
      - alert: Down
        expr: probe_failed > 0
YML
cat >"$tmp/directive.yml" <<'YML'
groups:
  - name: g
    rules:
      # heed: on-missing=hold max-hold=1h
      - alert: Down
        expr: probe_failed > 0
YML
cat >"$tmp/bad.yml" <<'YML'
groups:
  - name: g
    rules:
      # heed: on-missing=maybe
      - alert: Down
        expr: probe_failed > 0
YML
# the series fails for 5 minutes, then ends with a staleness marker;
# promtool's expectation: no alert at 10m
for r in rules directive bad; do
    cat >"$tmp/test_$r.yml" <<YML
rule_files: [$r.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'probe_failed{target="a"}'
        values: '1 1 1 1 1 stale'
    alert_rule_test:
      - eval_time: 3m
        alertname: Down
        exp_alerts:
          - exp_labels: {target: a}
      - eval_time: 10m
        alertname: Down
        exp_alerts: []
YML
done

# want-exit  want-output-substring  test-file  [flags...]
check() {
    want=$1
    substr=$2
    file=$3
    shift 3
    out=$(cd "$tmp" && "$HEED" test rules "$@" "$file" 2>&1)
    got=$?
    if [ "$got" = "$want" ] && { [ -z "$substr" ] || echo "$out" | grep -qF -- "$substr"; }; then
        pass=$((pass + 1))
        echo "ok   $file $*: exit $got"
    else
        fail=$((fail + 1))
        echo "not ok $file $*: exit $got (want $want, output containing '$substr')"
        echo "$out" | sed 's/^/    /'
    fi
}

check 0 "SUCCESS" test_rules.yml
check 0 "SUCCESS" test_rules.yml --profile compat
check 1 "heed_freshness" test_rules.yml --profile default
check 1 "heed_stale_reason" test_directive.yml
check 1 "bad.yml:4:" test_bad.yml
check 2 "--profile must be compat or default" test_rules.yml --profile strict

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
