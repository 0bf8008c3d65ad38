#!/usr/bin/env python3
"""OpenMetrics data for the heed lint online suite, ending at --end (Unix s):
fast_total every 15s, slow_gauge every 10m (longer than the 5m lookback),
lagging_total every 15s but ending 4 minutes before --end (a pipeline that
ingests 4 minutes late)."""
import argparse

ap = argparse.ArgumentParser()
ap.add_argument("--end", type=int, required=True)
end = ap.parse_args().end
start = end - 3 * 3600
out = []
out.append("# TYPE fast counter")
for i, t in enumerate(range(start, end + 1, 15)):
    out.append('fast_total{job="a"} %d %d' % (i * 3, t))
out.append("# TYPE lagging counter")
for i, t in enumerate(range(start, end - 240 + 1, 15)):
    out.append('lagging_total{job="c"} %d %d' % (i * 2, t))
out.append("# TYPE slow_gauge gauge")
for i, t in enumerate(range(start, end + 1, 600)):
    out.append('slow_gauge{job="b"} %d %d' % (i % 7, t))
out.append("# EOF")
print("\n".join(out))
