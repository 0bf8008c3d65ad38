#!/usr/bin/env python3
"""gen_tick.py: the data and rules of the side-by-side evaluation benchmarks
(bench_tick.sh, bench_query.sh).

  gen_tick.py DIR [--end UNIX] [--before MIN] [--after MIN] [--step S]
              [--jobs N] [--instances N]

writes DIR/data.om (OpenMetrics with timestamps, for promtool's backfill) and
DIR/rules.yml.

Series: JOBS x INSTANCES targets (default 10 x 10) of 100 series each, as an
HTTP service with a node exporter beside it exposes them (default 10,000):
  up, http_requests_total{handler,method,code} (24), a classic histogram
  http_request_duration_seconds{handler} (4 x 10 buckets + _sum + _count),
  node_cpu_seconds_total{cpu,mode} (16), memory (2) and filesystem (4)
  gauges, process_* and go_goroutines (5).
Samples every STEP seconds (30) from END-BEFORE to END+AFTER minutes, off
whole seconds (+0.123 s); the part after END lets a server evaluating at the
wall clock see full windows for AFTER minutes after the data was made.

Rules: one recording group and one alerting group per job (50 rules each,
default 1,000 in all), the shapes of real rule files: per-job sums of rates,
error ratios, histogram quantiles, CPU and memory utilisation, topk, SLO
burn rates over 5m/30m/1h windows, absent(), predict_linear, the same
expression at two severities. Many rules share their selectors, as real
files do. No rule reads another's output (vmalert and a heed tick without
the daemon's overlay would see them empty, Prometheus would not), and the
thresholds are set so that only a few alerts fire.
"""
import argparse
import math
import os
import random
import time

OFFSET = 0.123
HANDLERS = ["/api/v1/items", "/api/v1/users", "/login", "/healthz"]
METHODS = ["GET", "POST"]
CODES = [("200", 0.95), ("404", 0.04), ("500", 0.01)]
BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]
MODES = [("user", 0.2), ("system", 0.05), ("iowait", 0.01), ("idle", 0.74)]
MOUNTS = ["/", "/data"]


def fmt(v):
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def write_data(path, a, rnd):
    n = (a.before + a.after) * 60 // a.step + 1
    t0 = a.end - a.before * 60
    ts = ["%d.123" % (t0 + i * a.step) for i in range(n)]
    targets = [("svc-%d" % j, "10.0.%d.%d:8080" % (j, k)) for j in range(a.jobs) for k in range(a.instances)]
    with open(path, "w") as f:
        w = f.write

        def counter(name_labels, rate, jitter=0.5):
            v = rnd.random() * 1000.0
            for i in range(n):
                v += rate * a.step * (1.0 - jitter + 2 * jitter * rnd.random())
                w("%s %s %s\n" % (name_labels, fmt(round(v, 3)), ts[i]))

        def gauge(name_labels, base, amp, period):
            ph = rnd.random() * 6.28
            for i in range(n):
                w("%s %s %s\n" % (name_labels, fmt(round(base + amp * math.sin(ph + i / period), 3)), ts[i]))

        w("# TYPE up gauge\n")
        for job, inst in targets:
            # one target in a hundred is down
            val = "0" if rnd.random() < 0.01 else "1"
            for i in range(n):
                w('up{instance="%s",job="%s"} %s %s\n' % (inst, job, val, ts[i]))
        w("# TYPE http_requests counter\n")
        for job, inst in targets:
            base = 5 + 20 * rnd.random()
            for h in HANDLERS:
                for m in METHODS:
                    for code, share in CODES:
                        counter('http_requests_total{code="%s",handler="%s",instance="%s",job="%s",method="%s"}'
                                % (code, h, inst, job, m), base * share * (0.3 if m == "POST" else 1.0))
        w("# TYPE http_request_duration_seconds histogram\n")
        for job, inst in targets:
            for h in HANDLERS:
                lam = 5 + 15 * rnd.random()
                cum = [0.0] * (len(BUCKETS) + 1)
                total = 0.0
                rows = []
                for i in range(n):
                    k = int(20 * a.step * (0.5 + rnd.random()))
                    for _ in range(k // 10):  # ten requests per draw keeps generation fast
                        d = rnd.expovariate(lam)
                        total += 10 * d
                        for b, le in enumerate(BUCKETS):
                            if d <= le:
                                cum[b] += 10
                        cum[-1] += 10
                    rows.append((list(cum), round(total, 4)))
                lab = 'handler="%s",instance="%s",job="%s"' % (h, inst, job)
                for b, le in enumerate(BUCKETS + [None]):
                    les = "+Inf" if le is None else repr(le)
                    for i in range(n):
                        w('http_request_duration_seconds_bucket{%s,le="%s"} %s %s\n'
                          % (lab, les, fmt(rows[i][0][b]), ts[i]))
                for i in range(n):
                    w("http_request_duration_seconds_sum{%s} %s %s\n" % (lab, fmt(rows[i][1]), ts[i]))
                for i in range(n):
                    w("http_request_duration_seconds_count{%s} %s %s\n" % (lab, fmt(rows[i][0][-1]), ts[i]))
        w("# TYPE node_cpu_seconds counter\n")
        for job, inst in targets:
            for cpu in range(4):
                for mode, share in MODES:
                    counter('node_cpu_seconds_total{cpu="%d",instance="%s",job="%s",mode="%s"}'
                            % (cpu, inst, job, mode), share, 0.2)
        for name, base, amp in (("node_memory_MemAvailable_bytes", 6e9, 2e9), ("node_memory_MemTotal_bytes", 16e9, 0)):
            w("# TYPE %s gauge\n" % name)
            for job, inst in targets:
                gauge('%s{instance="%s",job="%s"}' % (name, inst, job), base, amp, 40.0)
        for name, base, amp in (("node_filesystem_avail_bytes", 4e10, 1e9), ("node_filesystem_size_bytes", 1e11, 0)):
            w("# TYPE %s gauge\n" % name)
            for job, inst in targets:
                for mp in MOUNTS:
                    gauge('%s{instance="%s",job="%s",mountpoint="%s"}' % (name, inst, job, mp), base, amp, 60.0)
        w("# TYPE process_cpu_seconds counter\n")
        for job, inst in targets:
            counter('process_cpu_seconds_total{instance="%s",job="%s"}' % (inst, job), 0.1 + 0.5 * rnd.random())
        for name, base, amp in (("process_resident_memory_bytes", 3e8, 5e7), ("process_open_fds", 200, 50),
                                ("process_max_fds", 1024, 0), ("go_goroutines", 300, 100)):
            w("# TYPE %s gauge\n" % name)
            for job, inst in targets:
                gauge('%s{instance="%s",job="%s"}' % (name, inst, job), base, amp, 25.0)
        w("# EOF\n")
    return len(targets) * 100


# Each entry: (name, expr template, for, severity or None). {s} is the job's
# selector matchers, {w} a window. Recording rules take None as "for".
RECORDING = [
    ("job:http_requests:rate{w}", 'sum by (job) (rate(http_requests_total{{{s}}}[{w}]))'),
    ("job_handler:http_requests:rate{w}", 'sum by (job, handler) (rate(http_requests_total{{{s}}}[{w}]))'),
    ("job_code:http_requests:rate{w}", 'sum by (job, code) (rate(http_requests_total{{{s}}}[{w}]))'),
    ("job_method:http_requests:rate{w}", 'sum by (job, method) (rate(http_requests_total{{{s}}}[{w}]))'),
    ("instance:http_requests:rate{w}", 'sum by (job, instance) (rate(http_requests_total{{{s}}}[{w}]))'),
    ("job:http_errors:rate{w}", 'sum by (job) (rate(http_requests_total{{{s},code=~"5.."}}[{w}]))'),
    ("job:http_error_ratio:rate{w}",
     'sum by (job) (rate(http_requests_total{{{s},code=~"5.."}}[{w}])) / sum by (job) (rate(http_requests_total{{{s}}}[{w}]))'),
    ("job:http_request_duration_seconds:p50_{w}",
     'histogram_quantile(0.5, sum by (job, le) (rate(http_request_duration_seconds_bucket{{{s}}}[{w}])))'),
    ("job:http_request_duration_seconds:p90_{w}",
     'histogram_quantile(0.9, sum by (job, le) (rate(http_request_duration_seconds_bucket{{{s}}}[{w}])))'),
    ("job:http_request_duration_seconds:p99_{w}",
     'histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket{{{s}}}[{w}])))'),
    ("job_handler:http_request_duration_seconds:p99_{w}",
     'histogram_quantile(0.99, sum by (job, handler, le) (rate(http_request_duration_seconds_bucket{{{s}}}[{w}])))'),
    ("job:http_request_duration_seconds:mean{w}",
     'sum by (job) (rate(http_request_duration_seconds_sum{{{s}}}[{w}])) / sum by (job) (rate(http_request_duration_seconds_count{{{s}}}[{w}]))'),
    ("instance:node_cpu_utilisation:rate{w}",
     '1 - avg by (job, instance) (rate(node_cpu_seconds_total{{{s},mode="idle"}}[{w}]))'),
    ("instance_mode:node_cpu_seconds:rate{w}", 'sum by (job, instance, mode) (rate(node_cpu_seconds_total{{{s}}}[{w}]))'),
    ("job:node_cpu_utilisation:avg{w}",
     '1 - avg by (job) (rate(node_cpu_seconds_total{{{s},mode="idle"}}[{w}]))'),
    ("instance:node_memory_utilisation:ratio{w}",
     '1 - avg_over_time(node_memory_MemAvailable_bytes{{{s}}}[{w}]) / avg_over_time(node_memory_MemTotal_bytes{{{s}}}[{w}])'),
    ("instance:node_memory_available:avg{w}", 'avg_over_time(node_memory_MemAvailable_bytes{{{s}}}[{w}])'),
    ("instance:node_filesystem_usage:max{w}",
     '1 - min_over_time(node_filesystem_avail_bytes{{{s}}}[{w}]) / node_filesystem_size_bytes{{{s}}}'),
    ("instance:process_cpu:rate{w}", 'rate(process_cpu_seconds_total{{{s}}}[{w}])'),
    ("job:process_resident_memory_bytes:max{w}", 'max by (job) (max_over_time(process_resident_memory_bytes{{{s}}}[{w}]))'),
    ("job:go_goroutines:avg{w}", 'sum by (job) (avg_over_time(go_goroutines{{{s}}}[{w}]))'),
    ("job:up:avg{w}", 'avg by (job) (avg_over_time(up{{{s}}}[{w}]))'),
    ("job:http_requests:top3_{w}", 'topk(3, sum by (job, instance) (rate(http_requests_total{{{s}}}[{w}])))'),
    ("job:http_requests:increase{w}", 'sum by (job) (increase(http_requests_total{{{s}}}[{w}]))'),
    ("job:http_request_duration_seconds_count:rate{w}",
     'sum by (job) (rate(http_request_duration_seconds_count{{{s}}}[{w}]))'),
]
REC_WINDOWS = ["5m", "1h"]

ALERTING = [
    ("TargetDown", 'up{{{s}}} == 0', "5m"),
    ("JobAbsent", 'absent(up{{{s}}})', "10m"),
    ("HighErrorRatio",
     'sum by (job) (rate(http_requests_total{{{s},code=~"5.."}}[{w}])) / sum by (job) (rate(http_requests_total{{{s}}}[{w}])) > {t}',
     "5m"),
    ("HandlerErrorRatio",
     'sum by (job, handler) (rate(http_requests_total{{{s},code=~"5.."}}[{w}])) / sum by (job, handler) (rate(http_requests_total{{{s}}}[{w}])) > {t}',
     "10m"),
    ("ErrorBudgetBurn",
     '(sum by (job) (rate(http_requests_total{{{s},code=~"5.."}}[5m])) / sum by (job) (rate(http_requests_total{{{s}}}[5m])) > 14.4 * {t})'
     ' and (sum by (job) (rate(http_requests_total{{{s},code=~"5.."}}[1h])) / sum by (job) (rate(http_requests_total{{{s}}}[1h])) > 14.4 * {t})',
     "2m"),
    ("HighLatencyP99",
     'histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket{{{s}}}[{w}]))) > {t} * 20',
     "10m"),
    ("HandlerLatencyP90",
     'histogram_quantile(0.9, sum by (job, handler, le) (rate(http_request_duration_seconds_bucket{{{s}}}[{w}]))) > {t} * 10',
     "10m"),
    ("HighMeanLatency",
     'sum by (job) (rate(http_request_duration_seconds_sum{{{s}}}[{w}])) / sum by (job) (rate(http_request_duration_seconds_count{{{s}}}[{w}])) > {t} * 5',
     "15m"),
    ("NoTraffic", 'sum by (job) (rate(http_requests_total{{{s}}}[{w}])) < {t}', "15m"),
    ("NodeCPUHigh", '1 - avg by (job, instance) (rate(node_cpu_seconds_total{{{s},mode="idle"}}[{w}])) > 1 - {t}', "15m"),
    ("NodeIOWaitHigh", 'avg by (job, instance) (rate(node_cpu_seconds_total{{{s},mode="iowait"}}[{w}])) > {t} * 5', "15m"),
    ("NodeMemoryHigh", '1 - node_memory_MemAvailable_bytes{{{s}}} / node_memory_MemTotal_bytes{{{s}}} > 1 - {t}', "15m"),
    ("DiskFillingUp", 'predict_linear(node_filesystem_avail_bytes{{{s}}}[1h], 4 * 3600) < 0', "30m"),
    ("DiskAlmostFull", 'node_filesystem_avail_bytes{{{s}}} / node_filesystem_size_bytes{{{s}}} < {t}', "30m"),
    ("FileDescriptorsHigh", 'process_open_fds{{{s}}} / process_max_fds{{{s}}} > 1 - {t}', "10m"),
    ("GoroutinesHigh", 'go_goroutines{{{s}}} > 1000 / {t}', "15m"),
    ("ProcessMemoryHigh", 'max_over_time(process_resident_memory_bytes{{{s}}}[{w}]) > 1e9 / {t}', "15m"),
    ("ProcessCPUHigh", 'rate(process_cpu_seconds_total{{{s}}}[{w}]) > 10 * {t}', "15m"),
    ("InstanceTrafficSkew",
     'max by (job) (sum by (job, instance) (rate(http_requests_total{{{s}}}[{w}]))) > 10 * min by (job) (sum by (job, instance) (rate(http_requests_total{{{s}}}[{w}]))) / {t}',
     "30m"),
    ("TooMany404",
     'sum by (job) (increase(http_requests_total{{{s},code="404"}}[{w}])) > 1e6 * {t}',
     "30m"),
    ("Top3InstanceHot", 'topk(3, sum by (job, instance) (rate(http_requests_total{{{s}}}[{w}]))) > 1e4 * {t}', "5m"),
    ("CounterReset", 'resets(process_cpu_seconds_total{{{s}}}[{w}]) > 0', "0s"),
    ("FlappingTarget", 'changes(up{{{s}}}[{w}]) > 5', "10m"),
    ("LatencyDeriv", 'deriv(node_memory_MemAvailable_bytes{{{s}}}[{w}]) < -1e9 * {t}', "10m"),
    ("PostErrorRatio",
     'sum by (job) (rate(http_requests_total{{{s},method="POST",code=~"5.."}}[{w}])) / sum by (job) (rate(http_requests_total{{{s},method="POST"}}[{w}])) > {t}',
     "5m"),
]
SEVERITIES = [("warning", "5m", 0.05), ("critical", "15m", 0.02)]


def write_rules(path, a):
    with open(path, "w") as f:
        w = f.write
        w("groups:\n")
        for j in range(a.jobs):
            job = "svc-%d" % j
            s = 'job="%s"' % job
            w("  - name: %s.recording\n    rules:\n" % job)
            for win in REC_WINDOWS:
                for name, expr in RECORDING:
                    w("      - record: %s\n        expr: '%s'\n" % (name.format(w=win), expr.format(s=s, w=win)))
                    w("        labels:\n          service: %s\n" % job)
            w("  - name: %s.alerting\n    rules:\n" % job)
            for sev, win, thr in SEVERITIES:
                for name, expr, dur in ALERTING:
                    w("      - alert: %s\n        expr: '%s'\n        for: %s\n" % (name, expr.format(s=s, w=win, t=thr), dur))
                    w("        labels:\n          service: %s\n          severity: %s\n          team: team-%d\n"
                      % (job, sev, j % 3))
                    w("        annotations:\n          summary: '%s on {{ $labels.job }} {{ $labels.instance }}'\n"
                      % name)
                    w("          description: 'value {{ $value | humanize }} for %s'\n" % job)
    return a.jobs * (len(RECORDING) * len(REC_WINDOWS) + len(ALERTING) * len(SEVERITIES))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--end", type=int, default=int(time.time()))
    ap.add_argument("--before", type=int, default=70)
    ap.add_argument("--after", type=int, default=40)
    ap.add_argument("--step", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=10)
    ap.add_argument("--instances", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-data", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    nrules = write_rules(os.path.join(a.dir, "rules.yml"), a)
    nseries = 0 if a.no_data else write_data(os.path.join(a.dir, "data.om"), a, rnd)
    print("%d series, %d rules" % (nseries, nrules))


if __name__ == "__main__":
    main()
