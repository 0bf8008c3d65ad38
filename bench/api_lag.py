#!/usr/bin/env python3
"""api_lag.py URL SECONDS: samples heed's /metrics at URL every 0.1 s for
SECONDS and prints, per rule group, the schedule's timing over the
iterations it saw: how late each iteration started after its slot
(heed_rule_group_evaluation_lag_seconds: p50 and max), the jitter of the
spacing of consecutive iteration starts
(prometheus_rule_group_last_evaluation_timestamp_seconds) against the
group's interval (p99 and max of |spacing - interval|), the iterations'
duration (prometheus_rule_group_last_duration_seconds) and the iterations
missed meanwhile. The lag includes any wait for the group's lock, which an
API snapshot holds while it copies the group's alerts. A scrape that takes longer than the interval can miss an
iteration; spacings over such gaps count as whole multiples of the
interval."""
import re
import sys
import time
import urllib.request

url, secs = sys.argv[1], float(sys.argv[2])
LINE = re.compile(r'^(\w+)\{rule_group="([^"]*)"\} (\S+)$')
seen = {}  # group -> {start ts: lag}
took = {}  # group -> {start ts: duration}
interval, missed0, missed1 = {}, {}, {}
scrapes, slow = 0, 0.0
end = time.time() + secs
while time.time() < end:
    t0 = time.time()
    try:
        text = urllib.request.urlopen(url, timeout=10).read().decode()
    except OSError:
        continue
    slow = max(slow, time.time() - t0)
    scrapes += 1
    vals = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            vals.setdefault(m.group(2), {})[m.group(1)] = float(m.group(3))
    for g, v in vals.items():
        ts = v.get("prometheus_rule_group_last_evaluation_timestamp_seconds", 0)
        if not ts:
            continue
        interval[g] = v["prometheus_rule_group_interval_seconds"]
        seen.setdefault(g, {})[ts] = v.get("heed_rule_group_evaluation_lag_seconds", 0)
        took.setdefault(g, {})[ts] = v.get("prometheus_rule_group_last_duration_seconds", 0)
        missed = v.get("prometheus_rule_group_iterations_missed_total", 0)
        missed0.setdefault(g, missed)
        missed1[g] = missed
    time.sleep(max(0.0, 0.1 - (time.time() - t0)))


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


for g in sorted(seen):
    starts = sorted(seen[g])
    lags = [seen[g][s] * 1000 for s in starts]
    iv = interval[g]
    jit = []
    for a, b in zip(starts, starts[1:]):
        k = max(1, round((b - a) / iv))
        jit.append(abs((b - a) - k * iv) * 1000)
    durs = [took[g][s] * 1000 for s in starts]
    print("  %-6s iterations=%d lag p50=%.1fms max=%.1fms, start jitter p99=%.1fms max=%.1fms, "
          "duration p50=%.1fms max=%.1fms, missed=%d"
          % (g.split(";")[-1], len(starts), pct(lags, 0.5), max(lags), pct(jit, 0.99), max(jit) if jit else 0,
             pct(durs, 0.5), max(durs), missed1[g] - missed0[g]))
print("  (%d scrapes of /metrics, slowest %.0fms)" % (scrapes, slow * 1000))
