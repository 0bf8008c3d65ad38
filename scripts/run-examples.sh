#!/bin/sh
# make run: heed's main job on the bundled examples (examples/, written by
# scripts/gen-examples.py), with the embedded backend: each incident
# scenario replayed with heed's and Prometheus's semantics side by side,
# then the availability report of scenario 4. SVG pictures of each go to
# build/examples/.
set -eu
heed=${1:-bin/heed}
cd "$(dirname "$0")/.."
out=build/examples
mkdir -p "$out"

replay() {
    name=$1
    shift
    echo "=================================================================="
    # the story: the series file's opening comment
    echo "== $name"
    sed -n '/^load/q; s/^# Scenario [0-9]*: /   /p; t; s/^# /   /p' "examples/$name/series.txt"
    echo "=================================================================="
    echo "\$ heed replay --rules examples/$name/rules.yml --series examples/$name/series.txt $*"
    "$heed" replay --rules "examples/$name/rules.yml" --series "examples/$name/series.txt" "$@"
    "$heed" replay --rules "examples/$name/rules.yml" --series "examples/$name/series.txt" "$@" \
        --format svg >"$out/$name.svg"
}

replay 1-spike-restart
replay 2-frozen-endpoint
# the backend ingests every sample 4 minutes late
replay 3-lagging-pipeline --ingest-delay 4m
# the backend is unreachable from 20m to 30m
replay 5-watchdog --outage 20m,30m

echo "=================================================================="
echo "== 4-slo-frozen"
sed -n '/^load/q; s/^# Scenario [0-9]*: /   /p; t; s/^# /   /p' examples/4-slo-frozen/series.txt
echo "=================================================================="
echo "\$ heed report --rules examples/4-slo-frozen/rules.yml --record job:availability:ratio_rate5m --series examples/4-slo-frozen/series.txt --objective 99.9"
slo() {
    "$heed" report --rules examples/4-slo-frozen/rules.yml --record job:availability:ratio_rate5m \
        --series examples/4-slo-frozen/series.txt --objective 99.9 "$@"
}
slo
slo --format svg >"$out/4-slo-frozen-report.svg"
echo
echo "SVG timelines and the report chart: $out/"
