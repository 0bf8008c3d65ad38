#!/usr/bin/env python3
"""Writes a realistic Prometheus rule file to stdout: alerting and recording
rules in many groups, templated annotations, group and rule labels, the
PromQL shapes real rule sets use. Deterministic for a given --rules/--seed.

    bench/gen_rules.py --rules 10000 > /tmp/rules.yml
"""
import argparse
import random

SERVICES = ["api", "auth", "billing", "search", "cart", "checkout", "gateway", "ingest",
            "indexer", "mailer", "notify", "payments", "profile", "reco", "storage", "web"]
METRICS = ["http_requests_total", "grpc_server_handled_total", "rpc_errors_total",
           "queue_messages_total", "cache_requests_total", "db_queries_total"]

RECORDING = [
    "sum by (job, instance) (rate({m}{{job=\"{svc}\"}}[{w}]))",
    "sum without (instance, pod) (rate({m}{{job=\"{svc}\", code=~\"5..\"}}[{w}]))",
    "histogram_quantile(0.{q}, sum by (le, job) (rate({svc}_request_duration_seconds_bucket[{w}])))",
    "sum by (job) (increase({m}{{job=\"{svc}\"}}[1h]))",
    "avg_over_time({svc}:{m}:rate{w}[30m])",
    "max by (job) (max_over_time(process_resident_memory_bytes{{job=\"{svc}\"}}[{w}]))",
    "count by (job) (up{{job=\"{svc}\"}} == 1)",
    "sum by (job) (rate({m}{{job=\"{svc}\"}}[{w}] offset 1d))",
    "topk(10, sum by (path) (rate({m}{{job=\"{svc}\"}}[{w}])))",
    "1 - (sum(rate({m}{{job=\"{svc}\", code=~\"5..\"}}[{w}])) / sum(rate({m}{{job=\"{svc}\"}}[{w}])))",
]
ALERTING = [
    ("{svc}:{m}:errors:ratio_rate{w} > 0.0{q}", "Error ratio of {{{{ $labels.job }}}} is {{{{ $value | humanizePercentage }}}}"),
    ("up{{job=\"{svc}\"}} == 0", "{{{{ $labels.instance }}}} of job {{{{ $labels.job }}}} has been down for more than {w}."),
    ("histogram_quantile(0.99, sum by (le) (rate({svc}_request_duration_seconds_bucket[{w}]))) > 0.{q}",
     "p99 latency of {svc} is {{{{ $value | humanizeDuration }}}}"),
    ("predict_linear(node_filesystem_avail_bytes{{job=\"{svc}\"}}[6h], 4 * 3600) < 0",
     "Disk on {{{{ $labels.instance }}}} fills within 4h ({{{{ $value | humanize1024 }}}}B left)"),
    ("absent(up{{job=\"{svc}\"}})", "No targets of {svc} are being scraped"),
    ("rate(process_cpu_seconds_total{{job=\"{svc}\"}}[{w}]) > 0.{q}",
     "{{{{ $labels.instance }}}} uses {{{{ printf \"%.2f\" $value }}}} CPUs"),
    ("increase(kube_pod_container_status_restarts_total{{namespace=\"{svc}\"}}[1h]) > {q}",
     "Pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} restarted {{{{ $value }}}} times"),
    ("sum by (job) (rate({m}{{job=\"{svc}\"}}[{w}])) < on (job) group_left sum by (job) (rate({m}{{job=\"{svc}\"}}[{w}] offset 1w)) * 0.5",
     "Traffic of {{{{ $labels.job }}}} dropped by half week over week"),
]
WINDOWS = ["1m", "5m", "10m", "30m", "1h"]
SEVERITIES = ["page", "ticket", "info"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=10000)
    ap.add_argument("--per-group", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    # Group labels are Prometheus 3; Debian's promtool (2.42) rejects them, so
    # the side-by-side benchmark leaves them out.
    ap.add_argument("--group-labels", action="store_true")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    out = ["groups:"]
    n = 0
    g = 0
    while n < args.rules:
        svc = SERVICES[g % len(SERVICES)]
        out.append(f"  - name: {svc}-{g}.rules")
        out.append(f"    interval: {rnd.choice(['15s', '30s', '1m'])}")
        if args.group_labels and g % 3 == 0:
            out.append("    labels:")
            out.append(f"      team: team-{g % 7}")
        out.append("    rules:")
        for i in range(min(args.per_group, args.rules - n)):
            m = rnd.choice(METRICS)
            w = rnd.choice(WINDOWS)
            q = rnd.randint(1, 9)
            if rnd.random() < 0.6:
                expr = rnd.choice(RECORDING).format(m=m, svc=svc, w=w, q=q)
                out.append(f"      - record: {svc}:{m}:rate{w}:g{g}r{i}")
                out.append("        expr: " + quote(expr))
                if rnd.random() < 0.3:
                    out.append("        labels:")
                    out.append(f"          aggregation: by_job")
            else:
                expr, summary = rnd.choice(ALERTING)
                expr = expr.format(m=m, svc=svc, w=w, q=q)
                out.append(f"      - alert: {svc.capitalize()}Alert{g}x{i}")
                if rnd.random() < 0.3:
                    out.append("        expr: |")
                    out.append("          " + expr)
                else:
                    out.append("        expr: " + quote(expr))
                out.append(f"        for: {rnd.choice(['0s', '1m', '5m', '15m'])}")
                if rnd.random() < 0.2:
                    out.append("        keep_firing_for: 5m")
                out.append("        labels:")
                out.append(f"          severity: {rnd.choice(SEVERITIES)}")
                out.append("        annotations:")
                out.append("          summary: " + quote(summary.format(svc=svc, w=w)))
                # unique per rule, as descriptions usually are
                out.append("          description: " + quote(
                    f"{svc} check {g}.{i}: {{{{ $labels.job }}}} on {{{{ $labels.instance }}}}: "
                    + "value {{ $value }} (see {{ $externalURL }}/graph)"))
                out.append(f"          runbook_url: https://runbooks.example.com/{svc}/{i}")
            n += 1
        g += 1
    print("\n".join(out))


def quote(s):
    return "'" + s.replace("'", "''") + "'"


if __name__ == "__main__":
    main()
