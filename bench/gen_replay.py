#!/usr/bin/env python3
"""Writes the input of bench/bench_replay.sh into DIR: series.txt, a week of
15-second samples for N counters (promqltest "load" notation: one value per
step from time 0), and rules.yml, one recording and one alerting rule over
them at a 1-minute interval. Every counter steps by 4 per scrape except for
one stretch per series where it stops (an outage: the alert fires) and one
where the endpoint serves a frozen value (heed's max-unchanged sees it), at
times that differ per series."""
import os
import sys

STEPS = 7 * 24 * 60 * 4  # a week of 15s scrapes


def series_values(k):
    """Run-length pieces (start, delta, count) of series k."""
    stop_at = 2000 + (k * 37) % 30000
    stop_len = 40 + k % 80           # 10-30 minutes flat
    frozen_at = (stop_at + 5000) % (STEPS - 4000)
    frozen_len = 240 + (k * 7) % 480  # 1-3 hours flat
    flat = sorted([(stop_at, stop_len), (frozen_at, frozen_len)])
    pieces, t, v = [], 0, 0
    for at, n in flat:
        if at < t:
            continue
        pieces.append((v, 4, at - t))
        v += 4 * (at - t)
        pieces.append((v, 0, n))
        t = at + n
    pieces.append((v, 4, STEPS - t))
    return pieces


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    with open(os.path.join(out, "series.txt"), "w") as f:
        f.write("load 15s\n")
        for k in range(n):
            toks = []
            for v, d, c in series_values(k):
                if c > 0:
                    toks.append("%d+%dx%d" % (v, d, c - 1))
            f.write('  requests_total{instance="i-%d",job="bench"} %s\n' % (k, " ".join(toks)))
    with open(os.path.join(out, "rules.yml"), "w") as f:
        f.write("""groups:
  - name: bench
    interval: 1m
    rules:
      - record: instance:requests:rate5m
        expr: rate(requests_total[5m])
      # heed: max-unchanged=requests_total:30m
      - alert: NoTraffic
        expr: rate(requests_total[5m]) == 0
        for: 5m
""")


if __name__ == "__main__":
    main()
