#!/usr/bin/env python3
"""Writes a rule file and a promtool-format unit-test file for benchmarking
`heed test rules` against `promtool test rules`: hundreds of input series (per test group) over
hours of 1-minute samples, recording and alerting rules over them, and dozens
of test groups mixing alert_rule_test and promql_expr_test. Deterministic.

usage: gen_rule_tests.py DIR [--series N] [--hours H] [--tests T]
"""
import argparse
import os
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--series", type=int, default=300)
    ap.add_argument("--hours", type=int, default=6)
    ap.add_argument("--tests", type=int, default=40)
    a = ap.parse_args()
    rnd = random.Random(42)
    steps = a.hours * 60
    services = max(1, a.series // 70)

    with open(os.path.join(a.dir, "rules.yml"), "w") as f:
        f.write("groups:\n")
        f.write("  - name: recording\n    rules:\n")
        f.write("      - record: service:requests:rate5m\n"
                "        expr: sum by (service) (rate(http_requests_total[5m]))\n")
        f.write("      - record: service:errors:rate5m\n"
                "        expr: sum by (service) (rate(http_requests_total{code=~\"5..\"}[5m]))\n")
        f.write("      - record: service:error_ratio:rate5m\n"
                "        expr: service:errors:rate5m / service:requests:rate5m\n")
        f.write("  - name: alerts\n    rules:\n")
        f.write("      - alert: HighErrorRatio\n"
                "        expr: service:error_ratio:rate5m > 0.05\n"
                "        for: 5m\n"
                "        labels:\n          severity: page\n"
                "        annotations:\n"
                "          summary: 'Error ratio of {{ $labels.service }} is {{ $value | humanizePercentage }}'\n")
        f.write("      - alert: InstanceDown\n"
                "        expr: up == 0\n"
                "        for: 3m\n"
                "        labels:\n          severity: ticket\n"
                "        annotations:\n"
                "          summary: '{{ $labels.instance }} of {{ $labels.service }} is down'\n")
        f.write("      - alert: LatencyHigh\n"
                "        expr: histogram_quantile(0.99, sum by (service, le) (rate(latency_bucket[5m]))) > 0.5\n"
                "        for: 10m\n")

    def series_values(kind, svc, inst):
        if kind == "up":
            down_at = rnd.randrange(steps) if rnd.random() < 0.3 else None
            vals = []
            for i in range(steps):
                vals.append("0" if down_at is not None and down_at <= i < down_at + 10 else "1")
            return " ".join(vals)
        if kind == "ok":
            return "0+%dx%d" % (rnd.randint(5, 50), steps - 1)
        if kind == "err":
            return "0+%dx%d" % (rnd.randint(0, 6), steps - 1)
        raise ValueError(kind)

    with open(os.path.join(a.dir, "tests.yml"), "w") as f:
        f.write("rule_files:\n  - rules.yml\nevaluation_interval: 1m\ntests:\n")
        per_test = a.series
        for t in range(a.tests):
            f.write("  - interval: 1m\n    name: test-%d\n    input_series:\n" % t)
            n = 0
            while n < per_test:
                svc = "svc-%d" % rnd.randrange(services)
                inst = "10.0.%d.%d:9100" % (rnd.randrange(8), rnd.randrange(250))
                f.write("      - series: 'up{service=\"%s\", instance=\"%s\"}'\n        values: '%s'\n"
                        % (svc, inst, series_values("up", svc, inst)))
                f.write("      - series: 'http_requests_total{service=\"%s\", instance=\"%s\", code=\"200\"}'\n"
                        "        values: '%s'\n" % (svc, inst, series_values("ok", svc, inst)))
                f.write("      - series: 'http_requests_total{service=\"%s\", instance=\"%s\", code=\"500\"}'\n"
                        "        values: '%s'\n" % (svc, inst, series_values("err", svc, inst)))
                for le in ("0.1", "0.5", "1", "+Inf"):
                    f.write("      - series: 'latency_bucket{service=\"%s\", instance=\"%s\", le=\"%s\"}'\n"
                            "        values: '0+%dx%d'\n" % (svc, inst, le, {"0.1": 5, "0.5": 8, "1": 9, "+Inf": 10}[le],
                                                             steps - 1))
                n += 7
            # expectations whose truth is computed by the evaluators themselves:
            # the benchmark measures work, so the checks are cheap and stable.
            f.write("    promql_expr_test:\n")
            f.write("      - expr: count(up) > 0\n        eval_time: %dm\n"
                    "        exp_samples:\n          - value: %d\n" % (steps - 1, 0))
            f.write("    alert_rule_test:\n")
            f.write("      - eval_time: %dm\n        alertname: LatencyHigh\n        exp_alerts: []\n" % (steps - 1))


if __name__ == "__main__":
    main()
