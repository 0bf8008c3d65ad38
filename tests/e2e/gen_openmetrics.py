#!/usr/bin/env python3
"""gen_openmetrics.py: deterministic OpenMetrics text with timestamps, for
backfilling the real Prometheus with `promtool tsdb create-blocks-from
openmetrics` in end-to-end and differential tests.

What it writes (one family after another, each series' samples in time order,
as the OpenMetrics parser and promtool's backfill need; closing `# EOF`):
  - counters   heed_requests_total{job,instance,code}: steady rates, one reset
  - gauges     heed_temperature_celsius{job,instance}, heed_queue_length
  - histogram  heed_request_duration_seconds{job,instance} (classic: _bucket,
               _sum, _count)
  - instance "gone:9100": stops at the middle of the span (a target that
    disappears; backfilled blocks carry no staleness marker)
  - instance "frozen:9100": keeps being written but its values freeze at the
    middle of the span (an exporter serving the same numbers)
  - up{job,instance}
Every timestamp is START + i*STEP + 0.123 s, off whole seconds, so range
window boundaries never coincide with a sample and no version-dependent
boundary rule can change a result.

Usage: gen_openmetrics.py [--start UNIX] [--minutes N] [--step S] [--seed N]
                          [--scale N]
--scale multiplies the number of "api" instances (for larger data sets).
"""
import argparse
import math
import random
import sys

OFFSET = 0.123


def fmt(v):
    """A float in a form both parsers read exactly (repr round-trips)."""
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", type=int, default=1700000000)
    ap.add_argument("--minutes", type=int, default=120)
    ap.add_argument("--step", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=int, default=1)
    a = ap.parse_args()

    rnd = random.Random(a.seed)
    n = a.minutes * 60 // a.step + 1
    mid = n // 2
    times = [a.start + i * a.step + OFFSET for i in range(n)]
    api = ["api-%d:9100" % k for k in range(2 * a.scale)]
    instances = api + ["frozen:9100", "gone:9100"]
    out = sys.stdout
    w = out.write

    def alive(inst, i):
        return not (inst == "gone:9100" and i > mid)

    def frozen_index(inst, i):
        """The sample index whose value this one repeats."""
        return min(i, mid) if inst == "frozen:9100" else i

    # Counters: per-instance and per-code rates; api-1 resets once.
    w("# HELP heed_requests Requests served.\n# TYPE heed_requests counter\n")
    for inst in instances:
        for code, share in (("200", 0.9), ("500", 0.1)):
            rate = (3.0 + rnd.random() * 7.0) * share
            vals, v = [], 0.0
            for i in range(n):
                if inst == "api-1:9100" and i == n * 3 // 4:
                    v = 0.0  # counter reset (process restart)
                v += rate * a.step * (0.5 + rnd.random())
                vals.append(round(v, 3))
            for i in range(n):
                if alive(inst, i):
                    w('heed_requests_total{code="%s",instance="%s",job="node"} %s %s\n'
                      % (code, inst, fmt(vals[frozen_index(inst, i)]), fmt(times[i])))

    # Gauges.
    w("# HELP heed_temperature_celsius Temperature.\n# TYPE heed_temperature_celsius gauge\n")
    for k, inst in enumerate(instances):
        base = 20.0 + 3.0 * k
        vals = [round(base + 5.0 * math.sin(i / 17.0 + k) + rnd.random(), 4) for i in range(n)]
        for i in range(n):
            if alive(inst, i):
                w('heed_temperature_celsius{instance="%s",job="node"} %s %s\n'
                  % (inst, fmt(vals[frozen_index(inst, i)]), fmt(times[i])))
    w("# HELP heed_queue_length Items queued.\n# TYPE heed_queue_length gauge\n")
    for inst in instances:
        vals = [float(rnd.randint(0, 50)) for _ in range(n)]
        for i in range(n):
            if alive(inst, i):
                w('heed_queue_length{instance="%s",job="node"} %s %s\n'
                  % (inst, fmt(vals[frozen_index(inst, i)]), fmt(times[i])))

    # Classic histogram: cumulative buckets, _sum, _count.
    bounds = [0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0]
    w("# HELP heed_request_duration_seconds Request latency.\n"
      "# TYPE heed_request_duration_seconds histogram\n")
    for inst in instances:
        counts = [0] * (len(bounds) + 1)
        total_sum = 0.0
        rows = []
        for i in range(n):
            for _ in range(rnd.randint(5, 40)):
                d = rnd.expovariate(8.0)
                total_sum += d
                for b, le in enumerate(bounds):
                    if d <= le:
                        counts[b] += 1
                        break
                else:
                    counts[-1] += 1
            rows.append((list(counts), round(total_sum, 6)))
        for i in range(n):
            if not alive(inst, i):
                continue
            cnt, s = rows[frozen_index(inst, i)]
            ts = fmt(times[i])
            cum = 0
            for b, le in enumerate(bounds):
                cum += cnt[b]
                w('heed_request_duration_seconds_bucket{instance="%s",job="node",le="%s"} %d %s\n'
                  % (inst, repr(le), cum, ts))
            cum += cnt[-1]
            w('heed_request_duration_seconds_bucket{instance="%s",job="node",le="+Inf"} %d %s\n'
              % (inst, cum, ts))
            w('heed_request_duration_seconds_sum{instance="%s",job="node"} %s %s\n'
              % (inst, fmt(s), ts))
            w('heed_request_duration_seconds_count{instance="%s",job="node"} %d %s\n'
              % (inst, cum, ts))

    w("# HELP up Whether the target answered.\n# TYPE up gauge\n")
    for inst in instances:
        for i in range(n):
            if alive(inst, i):
                w('up{instance="%s",job="node"} 1 %s\n' % (inst, fmt(times[i])))
    w("# EOF\n")


if __name__ == "__main__":
    main()
