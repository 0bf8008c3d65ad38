#!/bin/sh
# Differential test: heed's engine over its datasource against the real
# Prometheus on the same backfilled data (tests/e2e/gen_openmetrics.py), for
# the expressions of tests/e2e/gen_exprs.py at three instants: while the
# "gone" target's last samples are within the lookback, after they left it,
# and later on. Evaluation instants sit half-way between samples (data at
# +0.123 s, instants at +0.5 s) so no window boundary is ambiguous.
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$PWD/bin/heed}
. tests/e2e/lib.sh
if ! e2e_have_prometheus; then
    echo "skip: prometheus/promtool not installed ($E2E_PROMETHEUS)"
    echo "0 passed, 0 failed"
    exit 0
fi
e2e_init
START=1700000000
python3 tests/e2e/gen_openmetrics.py --start $START >"$E2E_DIR/data.om" || exit 2
e2e_backfill "$E2E_DIR/data.om" || { echo "not ok: the driver ended without its summary (exit $rc)"; echo "0 passed, 1 failed"; exit 1; }
e2e_prometheus_start || { echo "not ok: the driver ended without its summary (exit $rc)"; echo "0 passed, 1 failed"; exit 1; }
python3 tests/e2e/gen_exprs.py >"$E2E_DIR/exprs" || { echo "not ok: gen_exprs.py failed"; echo "0 passed, 1 failed"; exit 1; }
echo "$(wc -l <"$E2E_DIR/exprs") expressions at 3 instants"
TMPDIR=$E2E_DIR python3 -u tests/e2e/differential.py "$E2E_PROM_URL" "$HEED" \
    $((START + 3700)).5 $((START + 4000)).5 $((START + 6000)).5 <"$E2E_DIR/exprs" >"$E2E_DIR/out" 2>&1
rc=$?
cat "$E2E_DIR/out"
# A driver that died without its summary line is a failure, never a silent 0.
tail -n 1 "$E2E_DIR/out" | grep -qE '^[0-9]+ passed, [0-9]+ failed$' || { echo "not ok: the driver ended without its summary (exit $rc)"; echo "0 passed, 1 failed"; exit 1; }
exit $rc
