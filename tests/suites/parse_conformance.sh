#!/bin/sh
# Parser conformance over Prometheus's own PromQL test scripts
# (../shared/conformance/promql/*.test, read in place, never copied).
# Every expression of an `eval` line must be accepted, and printing it must
# give text that parses to the same tree (compared as S-expression dumps) --
# except evals whose `expect fail` names a parse error, which must be
# rejected with a line:col position. Experiments are run with experimental
# functions on, as promqltest does. The core files count; the
# experimental-feature files are reported for information only.
set -u
: "${HEED:?}"
root=$(cd "$(dirname "$0")/../.." && pwd)
conf=${CONFORMANCE_DIR:-$root/../shared/conformance/promql}
if [ ! -d "$conf" ]; then
    echo "conformance data not found at $conf"
    echo "0 passed, 1 failed"
    exit 1
fi
CORE="aggregators at_modifier collision functions histograms literals name_label_dropping operators range_queries selectors staleness subquery trig_functions"
EXPERIMENTAL="duration_expression extended_vectors fill-modifier info limit native_histograms start_timestamps type_and_unit"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Prints "<expect>\t<expr>" per eval: expect is "parse-error" when the eval's
# `expect fail` message names a parse error, else "ok".
extract() {
    awk '
    function flush() { if (have) print (perr ? "parse-error" : "ok") "\t" expr; have = 0; perr = 0 }
    /^[ \t]*eval(_fail|_warn|_info|_ordered)?[ \t]/ {
        flush()
        line = $0
        sub(/^[ \t]*eval(_fail|_warn|_info|_ordered)?[ \t]+/, "", line)
        if (line ~ /^instant[ \t]+at[ \t]/) sub(/^instant[ \t]+at[ \t]+[^ \t]+[ \t]+/, "", line)
        else sub(/^range[ \t]+from[ \t]+[^ \t]+[ \t]+to[ \t]+[^ \t]+[ \t]+step[ \t]+[^ \t]+[ \t]+/, "", line)
        expr = line; have = 1; next
    }
    /^[ \t]*expect[ \t]+fail/ { if ($0 ~ /parse error/) perr = 1; next }
    /^[ \t]*expected_fail_(message|regexp)/ { if ($0 ~ /parse error/) perr = 1; next }
    /^[ \t]*$/ { flush(); next }
    END { flush() }
    ' "$1"
}

total_pass=0
total_fail=0
run_file() { # name counts(1|0)
    f=$conf/$1.test
    [ -f "$f" ] || { echo "missing $f"; return 1; }
    extract "$f" >"$tmp/cases"
    cut -f1 "$tmp/cases" >"$tmp/expect"
    cut -f2- "$tmp/cases" >"$tmp/exprs"
    "$HEED" promql fmt --experimental --lines <"$tmp/exprs" >"$tmp/printed"
    "$HEED" promql fmt --experimental --lines --dump <"$tmp/exprs" >"$tmp/dump1"
    sed 's/^[a-z]*\t//' "$tmp/printed" >"$tmp/reprint"
    "$HEED" promql fmt --experimental --lines --dump <"$tmp/reprint" >"$tmp/dump2"
    paste "$tmp/expect" "$tmp/printed" "$tmp/dump1" "$tmp/dump2" | tr '\t' '\001' |
        awk -F "\001" -v verbose="${VERBOSE:-0}" -v name="$1" -v counts="$2" '
        {
            n++; want = $1; st = $2; out = $3; d1 = $5; d2 = $7
            if (want == "parse-error") {
                if (st == "error" && out ~ /^[0-9]+:[0-9]+: parse error: /) pass++
                else { fail++; if (counts || verbose) print "  not rejected: " NR ": " out }
            } else if (st != "ok") {
                fail++; if (counts || verbose) print "  rejected: " out
            } else if ($6 != "ok" || d1 != d2) {
                fail++; if (counts || verbose) print "  round trip differs: " out "\n    " d1 "\n    " d2
            } else pass++
        }
        END { printf "%s %s: %d passed, %d failed\n", (counts ? "core" : "experimental"), name, pass + 0, fail + 0
              print pass + 0, fail + 0 > "/dev/stderr" }' 2>"$tmp/counts"
    if [ "$2" = 1 ]; then
        read -r p f <"$tmp/counts"
        total_pass=$((total_pass + p))
        total_fail=$((total_fail + f))
    fi
}

for name in $CORE; do run_file "$name" 1; done
for name in $EXPERIMENTAL; do run_file "$name" 0; done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
