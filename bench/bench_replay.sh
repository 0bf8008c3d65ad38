#!/bin/sh
# heed replay on a week of 15-second data for SERIES counters (default
# 1,000; bench/gen_replay.py) at 1-minute steps: both semantics (shadow
# mode), a recording and an alerting rule, self-monitoring. Prints the
# medians of RUNS runs (wall, CPU, peak memory) and the number of alert
# instances and transitions recorded.
set -eu
HEED=${HEED:-$(cd "$(dirname "$0")/.." && pwd)/bin/heed}
RUNS=${RUNS:-3}
SERIES=${SERIES:-1000}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$here/gen_replay.py" "$dir" "$SERIES"
cd "$dir"
"$HEED" replay --rules rules.yml --series series.txt --interval 1m --format json >replay.json
i=0
while [ $i -lt "$RUNS" ]; do
    run heed "$HEED" replay --rules rules.yml --series series.txt --interval 1m --format json
    i=$((i + 1))
done
echo "replay: $SERIES series x 40320 samples (a week at 15s), 10080 ticks of 1m; medians of $RUNS runs"
report "heed replay" heed
echo "  recorded: $(grep -c '"semantics": "' replay.json) instance timelines, $(grep -c '"time": "' replay.json) transitions"
