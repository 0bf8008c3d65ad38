#!/usr/bin/env python3
"""nhist_check.py URL HEED: native histograms the real Prometheus scraped
(tests/e2e/nhist_target.py), queried through heed's datasource and by
Prometheus itself; answers compared as in promql_differential.py
(histograms: count, sum and every bucket's rule, bounds and count).
Evaluation instants sit half-way between scrapes, so no window boundary
meets a sample. Prints ok/not ok lines and "N passed, N failed"."""
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("pd", os.path.join(HERE, "promql_differential.py"))
pd = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pd)

EXPRS = [
    "h", "h[5s]", "histogram_count(h)", "histogram_sum(h)", "sum(h)", "sum by (exported_job) (h)",
    "h * 2", "h / 4", "h + h", "-h", "rate(h[5s])", "increase(h[5s])", "sum(rate(h[5s]))",
    "histogram_quantile(0.5, h)", "histogram_quantile(0.9, rate(h[5s]))", "histogram_fraction(0, 2, h)",
    "count(h)", "last_over_time(h[5s])", "h offset 2s", "timestamp(h)",
]


def scaled(ans, f):
    """Prometheus's answer with every histogram multiplied by f, written as
    Prometheus 3 writes it (buckets left out when empty; a zero bucket only
    while its count is positive)."""
    ans = json.loads(json.dumps(ans))
    for s in ans.get("data", {}).get("result", []):
        s["metric"].pop("__name__", None)  # arithmetic drops the name
        pts = [s["histogram"]] if "histogram" in s else s.get("histograms", [])
        for p in pts:
            h = p[1]
            h["count"] = repr(float(h["count"]) * f)
            h["sum"] = repr(float(h["sum"]) * f)
            b = [[r, lo, hi, repr(float(c) * f)] for r, lo, hi, c in h.get("buckets", [])]
            b = [x for x in b if float(x[3]) != 0 and not (x[0] == 3 and float(x[3]) < 0)]
            if b:
                h["buckets"] = b
            else:
                h.pop("buckets", None)
    return ans


# Native-histogram behaviour Prometheus gained after 2.42 (heed follows 3.x):
# expression -> (cause, check of heed's answer against what 2.42 can say).
NEWER = {
    "h * 2": ("2.42 leaves a histogram unchanged under * and /; 3.x scales it",
              lambda url, heed, form, got: pd.diff(scaled(pd.prom_query(url, "h", form), 2), got, False)),
    "h / 4": ("2.42 leaves a histogram unchanged under * and /; 3.x scales it",
              lambda url, heed, form, got: pd.diff(scaled(pd.prom_query(url, "h", form), 0.25), got, False)),
    "-h": ("2.42 leaves a histogram unchanged under unary minus; 3.x negates it",
           lambda url, heed, form, got: pd.diff(scaled(pd.prom_query(url, "h", form), -1), got, False)),
    "last_over_time(h[5s])": ("2.42's last_over_time skips histograms",
                              lambda url, heed, form, got: pd.diff(pd.prom_query(url, "h", form), got, False)),
    "histogram_quantile(0.5, h)": ("3.x interpolates inside exponential buckets exponentially; 2.42 linearly",
                                   None),
    "histogram_quantile(0.9, rate(h[5s]))": ("3.x interpolates inside exponential buckets exponentially; "
                                             "2.42 linearly", None),
}


def main():
    url, heed = sys.argv[1], sys.argv[2]
    raw = pd.prom_query(url, 'h{exported_job="a"}[1m]', ("instant", int(time.time() * 1000)))
    # the newest scrape of the target, from its own answer
    ts = raw["data"]["result"][0]["histograms"][-1][0]
    t = int(round(ts * 1000)) - 500
    passed = failed = 0
    causes = {}
    forms = [("instant", t), ("range", t - 4000, t, 1000)]
    for expr in EXPRS:
        for form in forms:
            want = pd.prom_query(url, expr, form)
            got = pd.heed_query(heed, url, expr, form)
            why = pd.diff(want, got, False)
            name = "%s [%s]" % (expr, form[0])
            if why is None:
                passed += 1
                print("ok: " + name)
            elif expr in NEWER and (NEWER[expr][1] is None or NEWER[expr][1](url, heed, form, got) is None):
                passed += 1
                causes[NEWER[expr][0]] = causes.get(NEWER[expr][0], 0) + 1
                print("differs (2.42: %s; heed's answer %s): %s" % (
                    NEWER[expr][0], "checked against 2.42's own data" if NEWER[expr][1] else "not checked", name))
            else:
                failed += 1
                print("not ok: %s\n    %s" % (name, why[:400]))
    for c, k in sorted(causes.items()):
        print("differs by cause: %s: %d" % (c, k))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
