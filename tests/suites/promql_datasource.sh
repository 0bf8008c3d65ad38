#!/bin/sh
# The core PromQL conformance files' own evals over heed's datasource, with
# the real Prometheus (Debian's 2.42) holding each file's data, state by
# state (tests/e2e/promql_differential.py): (a) heed's answers against the
# files' expected results and (b) against Prometheus's own answers, whose
# differences are counted by cause (3.x semantics 2.42 lacks).
# Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$PWD/bin/heed}
. tests/e2e/lib.sh
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
conf=${PROMQL_CONFORMANCE_DIR:-$root/../shared/conformance/promql}
if ! e2e_have_prometheus; then
    echo "skip: prometheus/promtool not installed ($E2E_PROMETHEUS)"
    echo "0 passed, 0 failed"
    exit 0
fi
if [ ! -d "$conf" ]; then
    echo "conformance data not found at $conf"
    echo "0 passed, 1 failed"
    exit 1
fi
e2e_init
files=""
for f in aggregators at_modifier collision functions histograms literals name_label_dropping \
    operators range_queries selectors staleness subquery trig_functions; do
    files="$files $conf/$f.test"
done
# shellcheck disable=SC2086
E2E_PROMETHEUS=$E2E_PROMETHEUS E2E_PROMTOOL=$E2E_PROMTOOL \
    python3 -u tests/e2e/promql_differential.py --heed "$HEED" --work "$E2E_DIR" $files >"$E2E_DIR/out" 2>&1
rc=$?
cat "$E2E_DIR/out"
tail -n 1 "$E2E_DIR/out" | grep -qE '^[0-9]+ passed, [0-9]+ failed$' || {
    echo "not ok: the driver ended without its summary (exit $rc)"
    echo "0 passed, 1 failed"
    exit 1
}
exit $rc
