#!/usr/bin/env python3
"""load_to_openmetrics.py [--remote-write] FILE START: a recorded series file in promqltest
"load" notation (as the bundled examples are written) as OpenMetrics text
with timestamps, the first value at START (Unix seconds), for backfilling
the real Prometheus with `promtool tsdb create-blocks-from openmetrics`.
Handles numbers, 'a+bxn' / 'a-bxn' / 'axn' runs and '_' / '_xn' gaps;
staleness markers cannot be backfilled, so a file holding one is refused.
With --remote-write, prints instead the arguments of `heed remote-write`
(SERIES VALUE TIMESTAMP_MS, one sample a line, every series' samples in
time order), markers included as "stale", for a running Prometheus's
remote-write receiver.
Series are written one after another, each in time order; no TYPE lines
(the samples are untyped, as promtool backfills them)."""
import re
import sys

UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(s):
    total = 0.0
    for n, u in re.findall(r"(\d+)(ms|s|m|h|d)", s):
        total += int(n) * UNITS[u]
    return total


STALE = "stale"


def expand(tokens, stale_ok):
    out = []
    for tok in tokens:
        if tok == "stale":
            if not stale_ok:
                sys.exit("load_to_openmetrics: staleness markers cannot be backfilled")
            out.append(STALE)
            continue
        m = re.fullmatch(r"_(?:x(\d+))?", tok)
        if m:
            out.extend([None] * (int(m.group(1)) if m.group(1) else 1))
            continue
        m = re.fullmatch(r"(-?[0-9.e+]+?)(?:([+-])([0-9.e]+))?x(\d+)", tok)
        if m:
            a = float(m.group(1))
            b = float(m.group(3) or 0) * (-1 if m.group(2) == "-" else 1)
            out.extend(a + b * i for i in range(int(m.group(4)) + 1))
            continue
        out.append(float(tok))
    return out


def main():
    args = sys.argv[1:]
    rw = args[:1] == ["--remote-write"]
    if rw:
        args = args[1:]
    path, start = args[0], float(args[1])
    step = None
    samples = []
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("load "):
            step = duration(line.split()[1])
            continue
        series, values = re.match(r"(\S+?(?:\{[^}]*\})?)\s+(.*)", line).groups()
        for i, v in enumerate(expand(values.split(), rw)):
            if v is None:
                continue
            text = v if v == STALE else (repr(v) if v != int(v) else str(int(v)))
            samples.append((start + i * step, series, text))
    if rw:
        for t, series, text in sorted(samples, key=lambda x: x[0]):
            print("%s %s %d" % (series, text, round(t * 1000)))
        return
    for t, series, text in samples:
        print("%s %s %.3f" % (series, text, t))
    print("# EOF")


if __name__ == "__main__":
    main()
