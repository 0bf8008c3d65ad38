#!/bin/sh
# PromQL conformance: runs "heed promql test" over the core test scripts of
# Prometheus (../shared/conformance/promql/, never copied into the repo), plus
# the experimental ones heed passes completely, and
# holds the line: an eval that fails and is not listed in
# tests/promql_known_failures.txt (file:line reason) fails this suite; a
# listed one that now passes is reported so the list can shrink.
# Last line: "N passed, N failed" (passed evals, unexpected failures).
set -u
cd "$(dirname "$0")/../.." || exit 2
: "${HEED:=$(pwd)/bin/heed}"
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
conf=${PROMQL_CONFORMANCE_DIR:-$root/../shared/conformance/promql}
known=tests/promql_known_failures.txt
core="aggregators at_modifier collision functions histograms literals name_label_dropping
operators range_queries selectors staleness subquery trig_functions"
# Experimental-feature files that pass completely are held to that too.
complete="native_histograms limit info extended_vectors fill-modifier duration_expression"
if [ ! -d "$conf" ]; then
    echo "conformance data not found at $conf"
    echo "0 passed, 1 failed"
    exit 1
fi
tmp=${TMPDIR:-/tmp}/heed-promql-conf.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
passed=0
unexpected=0
for f in $core $complete; do
    out=$tmp/$f.out
    "$HEED" promql test "$conf/$f.test" >"$out" 2>&1
    rc=$?
    summary=$(grep -E "^$conf/$f.test: " "$out" | tail -n 1 | sed "s|^$conf/||")
    # A run that crashed or printed no summary is a failure, whatever it listed.
    if [ "$rc" -gt 1 ] || [ -z "$summary" ]; then
        unexpected=$((unexpected + 1))
        echo "FAIL $f.test: heed promql test exited $rc without its summary"
        tail -n 20 "$out" | sed 's/^/    /'
        continue
    fi
    echo "$summary"
    p=$(echo "$summary" | sed -E 's/^[^:]+: ([0-9]+) passed.*/\1/')
    case $p in ''|*[!0-9]*) p=0 ;; esac
    passed=$((passed + p))
    grep -E '^FAIL ' "$out" | sed -E "s|^FAIL $conf/([^:]+:[0-9]+):.*|\1|" >"$tmp/$f.fails"
    while read -r id; do
        if ! grep -q "^$id " "$known" 2>/dev/null; then
            unexpected=$((unexpected + 1))
            echo "FAIL (not a known failure) $id"
            grep -A1 -E "^FAIL $conf/$id:" "$out" | sed 's/^/    /'
        fi
    done <"$tmp/$f.fails"
    grep -E "^$f.test:" "$known" 2>/dev/null | while read -r id reason; do
        grep -qx "$id" "$tmp/$f.fails" || echo "now passing (remove from $known): $id"
    done
done
echo "$passed passed, $unexpected failed"
[ "$unexpected" = 0 ]
