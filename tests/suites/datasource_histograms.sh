#!/bin/sh
# Native histograms through heed's datasource: a loopback stub of the query
# API (tests/e2e/hist_datasource_check.py) serves raw histogram samples as
# Prometheus writes them; heed query's output must be Prometheus's JSON
# byte for byte. Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
HEED=${HEED:-$PWD/bin/heed}
if ! command -v python3 >/dev/null; then
    echo "skip: python3 not installed"
    echo "0 passed, 0 failed"
    exit 0
fi
out=$(timeout 300 python3 tests/e2e/hist_datasource_check.py "$HEED" 2>&1)
rc=$?
printf '%s\n' "$out"
printf '%s\n' "$out" | tail -n 1 | grep -qE '^[0-9]+ passed, [0-9]+ failed$' || {
    echo "not ok: the check ended without its summary (exit $rc)"
    echo "0 passed, 1 failed"
    exit 1
}
exit $rc
