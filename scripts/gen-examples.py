#!/usr/bin/env python3
"""Writes the incident scenarios of design/SCENARIOS.md as recorded series and
rule files: examples/<scenario>/{series.txt,rules.yml}.

series.txt uses promqltest "load" blocks (one value per step from time 0;
'_' no sample, 'stale' a staleness marker), compressed into a+bxN runs.
tests/unit/scenarios_test.c replays them tick by tick through group_eval.
Run from anywhere: python3 scripts/gen-examples.py
"""
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

STALE = "stale"


def fmt(v):
    if v == int(v):
        return str(int(v))
    return repr(v)


def compress(vals):
    """Values (number, None for no sample, STALE) as series-description tokens."""
    out, i, n = [], 0, len(vals)
    while i < n:
        v = vals[i]
        if v is None:
            j = i
            while j < n and vals[j] is None:
                j += 1
            out.append("_" if j - i == 1 else "_x%d" % (j - i))
            i = j
            continue
        if v == STALE:
            out.append(STALE)
            i += 1
            continue
        # longest arithmetic run from i
        j = i + 1
        if j < n and isinstance(vals[j], (int, float)) and vals[j] is not None:
            d = vals[j] - v
            while j + 1 < n and isinstance(vals[j + 1], (int, float)) and vals[j + 1] - vals[j] == d:
                j += 1
            if j - i >= 2:
                sign = "+" if d >= 0 else "-"
                out.append("%s%s%sx%d" % (fmt(v), sign, fmt(abs(d)), j - i))
                i = j + 1
                continue
        out.append(fmt(v))
        i += 1
    return " ".join(out)


def series_file(step, series, header):
    lines = ["# " + h for h in header] + ["load %s" % step]
    for name, vals in series:
        lines.append("  %s %s" % (name, compress(vals)))
    return "\n".join(lines) + "\n"


def counter(steps, rate_fn, start=0.0):
    """A counter: rate_fn(i) is the increase at step i (None: no sample, STALE)."""
    vals, v = [], start
    for i in range(steps):
        r = rate_fn(i)
        if r is None or r == STALE:
            vals.append(r)
            continue
        v += r
        vals.append(v)
    return vals


def write(name, series_txt, rules_yml):
    d = os.path.join(ROOT, "examples", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "series.txt"), "w") as f:
        f.write(series_txt)
    with open(os.path.join(d, "rules.yml"), "w") as f:
        f.write(rules_yml)


def scenario1():
    """Spike fixed, pods b and c restarted as d and e; a keeps running."""
    step, total = 15, 90 * 4  # 90 minutes at 15s
    spike = range(5 * 4, 15 * 4)  # 5m..15m errors at 20% of requests
    fix = 15 * 4
    series = []
    for pod in "abc":
        series.append(('requests_total{pod="%s"}' % pod,
                       counter(total, lambda i, pod=pod: 10 if (pod == "a" or i <= fix) else None)))
        series.append(('errors_total{pod="%s"}' % pod,
                       counter(total, lambda i, pod=pod: (2 if i in spike else 0) if (pod == "a" or i <= fix) else None)))
    for name, vals in series:
        if 'pod="a"' not in name:
            vals[fix + 1] = STALE  # the restarted pods' series end
    for pod in "de":
        series.append(('requests_total{pod="%s"}' % pod,
                       counter(total, lambda i: 10 if i > fix else None)))
        series.append(('errors_total{pod="%s"}' % pod,
                       counter(total, lambda i: 0 if i > fix else None)))
    write("1-spike-restart",
          series_file("15s", series, [
              "Scenario 1: error spike 5m-15m on pods a, b, c; at 15m the spike is",
              "fixed: pod a keeps running (errors stop), pods b and c are replaced",
              "by d and e (their series end with a staleness marker)."]),
          """groups:
  - name: api
    interval: 1m
    rules:
      - alert: HighErrorRate
        expr: rate(errors_total[5m]) / rate(requests_total[5m]) > 0.05
        for: 5m
        labels:
          severity: page
        annotations:
          summary: "error ratio {{ $value }} on {{ $labels.pod }}"
""")


def scenario2():
    """Frozen /metrics endpoint: from 30m to 3h30m every value repeats."""
    total = 240 * 4  # 4h at 15s
    freeze, thaw = 30 * 4, 210 * 4
    def frozen(i):
        return freeze <= i < thaw
    req = counter(total, lambda i: 0 if frozen(i) else 20)
    err = counter(total, lambda i: 0 if frozen(i) or i >= thaw else 2)
    # latency varies around 0.4; the last value served before freezing is 1.5
    lat = []
    for i in range(total):
        if i < freeze - 1:
            lat.append(0.4 + 0.01 * (i % 5))
        elif i < thaw:
            lat.append(1.5)
        else:
            lat.append(0.3 + 0.01 * (i % 3))
    write("2-frozen-endpoint",
          series_file("15s", [('requests_total{instance="w1"}', req),
                              ('errors_total{instance="w1"}', err),
                              ('latency_seconds{instance="w1"}', lat)], [
              "Scenario 2: scrapes succeed every 15s, but from 30m to 3h30m the",
              "worker serves the same counter and gauge values (frozen); after",
              "3h30m errors are zero and latency is normal."]),
          """groups:
  - name: worker
    interval: 1m
    rules:
      # an error counter may rightly stay flat: only requests_total must move
      # heed: max-unchanged=requests_total:15m max-hold=4h
      - alert: ErrorBudgetBurn
        expr: rate(errors_total[30m]) / rate(requests_total[30m]) > 0.05
        for: 5m
      # heed: max-unchanged=15m
      - alert: HighLatency
        expr: latency_seconds > 1
        for: 20m
""")


def scenario3():
    """Lagging pipeline: from 20m the backend ingests 4 minutes late."""
    total = 60 * 4
    # 10% errors until 40m, then none; the samples carry their true
    # timestamps: the test makes the backend show them 4 minutes late
    req = counter(total, lambda i: 10)
    err = counter(total, lambda i: 1 if i < 40 * 4 else 0)
    write("3-lagging-pipeline",
          series_file("15s", [('requests_total{job="api"}', req),
                              ('errors_total{job="api"}', err)], [
              "Scenario 3: 10% errors until 40m, then none. The test makes the",
              "backend ingest every sample 4 minutes late from 20m on",
              "(remote-write backlog)."]),
          """groups:
  - name: api
    interval: 1m
    rules:
      - alert: ApiErrors
        expr: rate(errors_total[5m]) / rate(requests_total[5m]) > 0.05
        for: 2m
  - name: api-offset
    interval: 1m
    query_offset: 5m
    rules:
      - alert: ApiErrorsOffset
        expr: rate(errors_total[5m]) / rate(requests_total[5m]) > 0.05
        for: 2m
""")


def scenario4():
    """A week at 1m: two short incidents, one inside a 20h frozen stretch."""
    total = 7 * 24 * 60
    inc1 = range(2 * 24 * 60, 2 * 24 * 60 + 30)          # day 2, 30m of 50% errors
    frozen = range(4 * 24 * 60, 4 * 24 * 60 + 20 * 60)   # day 4, 20h frozen counters
    inc2 = range(4 * 24 * 60 + 5 * 60, 4 * 24 * 60 + 5 * 60 + 60)  # inside the frozen stretch
    req = counter(total, lambda i: 0 if i in frozen else 100)
    err = counter(total, lambda i: 0 if i in frozen else (50 if i in inc1 or i in inc2 else 0))
    write("4-slo-frozen",
          series_file("1m", [('requests_total{job="shop"}', req),
                             ('errors_total{job="shop"}', err)], [
              "Scenario 4: a week of 1m samples; a 30m incident on day 2 and a 1h",
              "incident on day 4 that happened while the counters were frozen",
              "for 20 hours (the frozen stretch hides it)."]),
          """groups:
  - name: slo
    interval: 5m
    rules:
      # errors_total may rightly stay flat for days; requests_total may not
      # heed: max-unchanged=requests_total:15m
      - record: job:availability:ratio_rate5m
        expr: 1 - rate(errors_total[5m]) / rate(requests_total[5m])
""")


def scenario5():
    """Watchdog and a backend that goes away (the group level)."""
    total = 40 * 4
    write("5-watchdog",
          series_file("15s", [('up{job="api"}', [1] * total),
                              ('errors_total{job="api"}', counter(total, lambda i: 5)),
                              ('requests_total{job="api"}', counter(total, lambda i: 10))], [
              "Scenario 5: a steady service whose error ratio (50%) fires; the",
              "test takes the backend away at 20m."]),
          """groups:
  - name: api
    interval: 1m
    rules:
      - alert: ApiErrors
        expr: rate(errors_total[5m]) / rate(requests_total[5m]) > 0.05
        for: 2m
""")


if __name__ == "__main__":
    scenario1()
    scenario2()
    scenario3()
    scenario4()
    scenario5()
