#!/usr/bin/env python3
"""promql_differential.py: the core PromQL conformance files' own evals,
answered by heed's engine over its datasource with the real Prometheus as
the backend, compared (a) with each file's expected results and (b) with
the real Prometheus's own answers.

For every file, `heed promql test --export` writes each data state (the
loads since the last clear) as OpenMetrics and lists the evals. Per state
with evals, a fresh Prometheus gets exactly that data (promtool backfill, or
heed remote-write when the data holds staleness markers, which OpenMetrics
cannot carry), then:
  (a) `heed promql test --datasource URL --state N` runs the state's evals
      as the test engine does (the instant eval, its @ re-runs and its
      range-mode re-run) over the datasource, and compares them with the
      file's expectations (the same comparison as the in-memory run);
  (b) every eval also goes through `heed query --datasource URL` in its
      instant form (and the test engine's range-mode form t-1m..t+1m step
      1m) or its range form, and through Prometheus's /api/v1/query or
      /api/v1/query_range: same result type, series (order too for sorted
      evals), timestamps, and floats within 1e-9 relative; both failing
      counts as agreement.
Disagreements in (b) are classified by cause (see classify()).

Usage: promql_differential.py --heed BIN --work DIR FILE.test...
Prints per-file counts, every disagreement, and last "N passed, N failed"
where failed counts (a) failures and (b) disagreements of unknown cause.
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

PROMETHEUS = os.environ.get("E2E_PROMETHEUS", "/usr/bin/prometheus")
PROMTOOL = os.environ.get("E2E_PROMTOOL", "/usr/bin/promtool")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Prometheus:
    """One real Prometheus on 127.0.0.1 holding one data state."""

    def __init__(self, heed, work, om, rw):
        self.dir = os.path.join(work, "prom")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        data = os.path.join(self.dir, "data")
        if not rw and has_samples(om):
            r = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", om, data],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError("promtool backfill failed: " + r.stderr[-500:])
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1m\n")
        port = free_port()
        self.url = "http://127.0.0.1:%d" % port
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + data,
             "--storage.tsdb.retention.time=100y", "--web.listen-address=127.0.0.1:%d" % port,
             "--web.enable-remote-write-receiver", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("prometheus did not become ready")
            time.sleep(0.02)
        if rw:
            self.remote_write(heed, rw)

    def remote_write(self, heed, rw):
        args = [heed, "remote-write", "--url", self.url + "/api/v1/write"]
        with open(rw) as f:
            for line in f:
                series, value, t = line.rstrip("\n").split("\t")
                args += [series, value, t]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0 or "failed=0" not in r.stdout + r.stderr:
            raise RuntimeError("remote write failed: " + (r.stdout + r.stderr)[-500:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def has_samples(om):
    with open(om) as f:
        return any(not line.startswith("#") for line in f)


def secs(ms):
    sign = "-" if ms < 0 else ""
    return "%s%d.%03d" % (sign, abs(ms) // 1000, abs(ms) % 1000)


def prom_query(url, expr, form):
    if form[0] == "instant":
        path, params = "/api/v1/query", {"query": expr, "time": secs(form[1])}
    else:
        path, params = "/api/v1/query_range", {"query": expr, "start": secs(form[1]),
                                               "end": secs(form[2]), "step": secs(form[3])}
    data = urllib.parse.urlencode(params).encode()
    try:
        with urllib.request.urlopen(url + path, data, timeout=60) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        body = e.read()
    return json.loads(body)


def heed_query(heed, url, expr, form, lookback=None):
    args = [heed, "query", "--datasource", url]
    if lookback:
        args += ["--lookback-delta", lookback]
    if form[0] == "instant":
        args += ["--time", secs(form[1])]
    else:
        args += ["--start", secs(form[1]), "--end", secs(form[2]), "--step", secs(form[3])]
    # the leading space keeps an expression like "---metric" from reading as a flag
    r = subprocess.run(args + [" " + expr], capture_output=True, text=True, timeout=120)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"status": "error", "errorType": "heed_exit_%d" % r.returncode,
                "error": (r.stdout + r.stderr)[-300:]}


def fnum(s):
    return float(s) if s not in ("NaN",) else math.nan


def close(a, b, rel=1e-9):
    x, y = fnum(a), fnum(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if x == y:
        return True
    return abs(x - y) <= rel * max(abs(x), abs(y))


def hist_diff(a, b, rel):
    """None when two [t, {histogram}] samples agree: same time, count, sum
    and buckets (rules equal, bounds and counts within rel)."""
    if a[0] != b[0]:
        return "histogram at %s vs heed's at %s" % (a[0], b[0])
    x, y = a[1], b[1]
    if not close(x["count"], y["count"], rel) or not close(x["sum"], y["sum"], rel):
        return "histogram %s vs heed's %s" % (x, y)
    xb, yb = x.get("buckets", []), y.get("buckets", [])
    if len(xb) != len(yb) or any(p[0] != q[0] or not all(close(p[i], q[i], rel) for i in (1, 2, 3))
                                 for p, q in zip(xb, yb)):
        return "histogram buckets %s vs heed's %s" % (xb, yb)
    return None


def key(metric):
    return json.dumps(metric, sort_keys=True)


def diff(want, got, ordered, rel=1e-9):
    """None when the two API answers agree, else why not."""
    if want.get("status") != "success" or got.get("status") != "success":
        if want.get("status") != "success" and got.get("status") != "success":
            return None
        return "Prometheus %s / heed %s" % (
            want.get("status") == "success" and "answered" or "error: " + want.get("error", ""),
            got.get("status") == "success" and "answered" or "error: " + got.get("error", ""))
    w, g = want["data"], got["data"]
    if w["resultType"] != g["resultType"]:
        return "result type %s vs heed's %s" % (w["resultType"], g["resultType"])
    if w["resultType"] in ("scalar", "string"):
        wv, gv = w["result"], g["result"]
        if wv[0] != gv[0] or not (wv[1] == gv[1] or (w["resultType"] == "scalar" and close(wv[1], gv[1], rel))):
            return "%s %s vs heed's %s" % (w["resultType"], wv, gv)
        return None
    ws = {key(s["metric"]): s for s in w["result"]}
    gs = {key(s["metric"]): s for s in g["result"]}
    if ws.keys() != gs.keys():
        only_w = sorted(set(ws) - set(gs))[:3]
        only_g = sorted(set(gs) - set(ws))[:3]
        return "series only in Prometheus's answer: %s; only in heed's: %s" % (only_w, only_g)
    if ordered and [key(s["metric"]) for s in w["result"]] != [key(s["metric"]) for s in g["result"]]:
        return "series order differs"
    for k, s in ws.items():
        h = gs[k]
        if w["resultType"] == "vector":
            wp, gp = [s.get("value")], [h.get("value")]
        else:
            wp, gp = s.get("values", []), h.get("values", [])
        if ("histogram" in s) != ("histogram" in h) or ("histograms" in s) != ("histograms" in h):
            return "%s: float/histogram mismatch" % k
        wh = [s["histogram"]] if "histogram" in s else s.get("histograms", [])
        gh = [h["histogram"]] if "histogram" in h else h.get("histograms", [])
        if len(wh) != len(gh):
            return "%s: %d histograms vs heed's %d" % (k, len(wh), len(gh))
        for a, b in zip(wh, gh):
            why = hist_diff(a, b, rel)
            if why:
                return "%s: %s" % (k, why)
        if len(wp) != len(gp):
            return "%s: %d points vs heed's %d" % (k, len(wp), len(gp))
        for a, b in zip(wp, gp):
            if a is None or b is None:
                continue
            if a[0] != b[0] or not close(a[1], b[1], rel):
                return "%s: point %s vs heed's %s" % (k, a, b)
    return None


RANGE_RE = re.compile(r"\[((?:\d+(?:ms|s|m|h|d|w|y))+)(?=[:\]])")
UNITS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000, "y": 31536000000}


def left_open(expr):
    """The expression with each range r as r-1ms: on millisecond data, 2.x's
    closed window [t-r+1ms, t] selects what 3.x's left-open (t-r, t] does."""
    def sub(m):
        ms = sum(int(n) * UNITS[u] for n, u in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", m.group(1)))
        return "[%dms" % (ms - 1) if ms > 1 else m.group(0)
    return RANGE_RE.sub(sub, expr)


# Behaviour Prometheus changed after 2.42, as the conformance files (3.x)
# expect it: (cause, pattern the expression matches, test on the two
# answers). Applied only to an eval whose expected result heed matched in
# (a), so they never hide a heed bug.
SEMANTIC_CHANGES = [
    ("2.42's histogram_fraction reads native histograms only (3.x added classic buckets)",
     r"\bhistogram_fraction\(", lambda want, got: want.get("data", {}).get("result") == []),
    ("3.x sums with Kahan compensation (sum, avg); 2.42 adds naively",
     r"\b(sum|avg)\s*\(", lambda want, got: True),
    ("3.x stddev/stdvar of a NaN input is NaN; 2.42 gives 0",
     r"\bstd(dev|var)\b", lambda want, got: '"NaN"' in json.dumps(got)),
    ("3.x avg_over_time is compensated and overflow-safe; 2.42 overflows",
     r"\bavg_over_time\(", lambda want, got: True),
    ("3.x rate/increase cut extrapolation at zero only within half an interval",
     r"\b(rate|increase)\(", lambda want, got: True),
    ("2.42 fails on a parenthesised string literal (StepInvariantExpr bug)",
     r"^\(\s*\"", lambda want, got: "StepInvariantExpr" in want.get("error", "")),
    ("2.42 keeps the metric name on atan2",
     r"\batan2\b", lambda want, got: '"__name__"' in json.dumps(want)),
    ("3.x refuses many-to-one matching even when a filter leaves one side empty",
     r"(>=|<=|>|<|==|!=)\s*on\s*\(", lambda want, got: "many-to-one" in got.get("error", "")),
]


def classify(heed, url, expr, form, want, got, ordered, expected_ok):
    """Why Prometheus 2.42 answers differently: a cause name, or None.
    3.x's windows are left-open, (t-r, t] for ranges and (t-lookback, t]
    for instant selection, where 2.x closes them on the left. On millisecond
    data, Prometheus 2.42 given each range as r-1ms answers as 3.x does for
    ranges, and heed given a lookback of 5m+1ms answers as 2.x does for the
    lookback (2.42 takes no lookback_delta parameter). Then the changes of
    SEMANTIC_CHANGES, for evals whose expected result heed matched."""
    def known():
        if expected_ok:
            for cause, pattern, test in SEMANTIC_CHANGES:
                if re.search(pattern, expr) and test(want, got):
                    return cause
        return None
    if want.get("status") != "success" and got.get("status") == "success":
        err = want.get("error", "")
        if "unknown function" in err:
            return "function unknown to 2.42"
        if "missing unit character in duration" in err:
            return "3.x syntax: durations as plain numbers"
        if "parse error" in err:
            return "3.x syntax unknown to 2.42"
        if "vector cannot contain metrics with the same labelset" in err:
            return "2.42 drops __name__ eagerly (3.x delays it)"
        return known()
    if want.get("status") == "success" and got.get("status") != "success":
        return known()
    # A range 1 ms shorter moves rate()'s extrapolation by about 1ms/range.
    alt = left_open(expr)
    if alt != expr and diff(prom_query(url, alt, form), got, ordered, 1e-5) is None:
        return "3.x left-open range windows"
    closed = heed_query(heed, url, expr, form, "300001ms")
    if diff(want, closed, ordered) is None:
        return "3.x left-open lookback window"
    if alt != expr and diff(prom_query(url, alt, form), closed, ordered, 1e-5) is None:
        return "3.x left-open range and lookback windows"
    return known()


def run_state(heed, conf_file, work, state, evals, files_dir, counts, lines_out):
    om = os.path.join(files_dir, "state-%d.om" % state)
    rw = os.path.join(files_dir, "state-%d.rw" % state)
    prom = Prometheus(heed, work, om, rw if os.path.exists(rw) else None)
    try:
        # (a) the file's expectations, through the test runner over the datasource
        r = subprocess.run([heed, "promql", "test", "-v", "--datasource", prom.url, "--state", str(state),
                            conf_file], capture_output=True, text=True, timeout=600)
        seen = set()
        fail_text = {}
        cur = None
        for line in r.stdout.splitlines():
            m = re.match(r"^(ok|FAIL) .*?:(\d+): ", line)
            if m:
                ln = int(m.group(2))
                seen.add(ln)
                cur = ln if m.group(1) == "FAIL" else None
                if cur:
                    fail_text[ln] = line
            elif cur and line.startswith("    "):
                fail_text[cur] += "\n" + line
        passed = set()
        for ev in evals:
            ln = ev["line"]
            if ln in fail_text:
                counts["a_fail"] += 1
                lines_out.append("not ok (a) %s\n    %s" % (fail_text[ln].split(" ", 1)[1],
                                                           "\n    ".join(fail_text[ln].splitlines()[1:])))
            elif ln in seen:
                counts["a_pass"] += 1
                passed.add(ln)
            else:
                counts["a_fail"] += 1
                lines_out.append("not ok (a) %s:%d: no result (runner exit %d)\n%s" % (
                    os.path.basename(conf_file), ln, r.returncode, r.stderr[-300:]))

        # (b) heed query against Prometheus's own answer
        def one(ev):
            forms = []
            if ev["range"]:
                forms.append(("range",) + ev["times"])
            else:
                t = ev["times"][0]
                forms.append(("instant", t))
                if not ev["norange"]:
                    forms.append(("range", t - 60000, t + 60000, 60000))
            problems = []
            for form in forms:
                want = prom_query(prom.url, ev["expr"], form)
                got = heed_query(heed, prom.url, ev["expr"], form)
                why = diff(want, got, ev["ordered"] and form[0] == "instant")
                if why:
                    problems.append((form, why, classify(heed, prom.url, ev["expr"], form, want, got,
                                                         ev["ordered"] and form[0] == "instant",
                                                         ev["line"] in passed)))
            return ev, problems

        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for ev, problems in pool.map(one, evals):
                if not problems:
                    counts["b_agree"] += 1
                    continue
                causes = sorted({c or "unexplained" for _, _, c in problems})
                cause = causes[-1] if "unexplained" in causes else causes[0]
                counts["b_cause"][cause] = counts["b_cause"].get(cause, 0) + 1
                tag = "not ok (b)" if cause == "unexplained" else "differs (b, %s)" % cause
                form, why, _ = problems[0]
                lines_out.append("%s %s:%d: %s [%s]\n    %s" % (
                    tag, os.path.basename(conf_file), ev["line"], ev["expr"],
                    " ".join(secs(x) if isinstance(x, int) else x for x in form), why[:300]))
    finally:
        prom.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--heed", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("files", nargs="+")
    o = ap.parse_args()
    total = {"a_pass": 0, "a_fail": 0, "b_agree": 0, "skipped": 0, "b_cause": {}}
    for conf_file in o.files:
        name = os.path.basename(conf_file)
        files_dir = os.path.join(o.work, name)
        os.makedirs(files_dir, exist_ok=True)
        r = subprocess.run([o.heed, "promql", "test", "--export", files_dir, conf_file],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("not ok: %s: export failed: %s" % (name, r.stderr.strip()[:300]))
            total["a_fail"] += 1
            continue
        states = {}
        skipped = {}
        with open(os.path.join(files_dir, "evals.tsv")) as f:
            for line in f:
                state, ln, flags, times, expr = line.rstrip("\n").split("\t", 4)
                flags = set(flags.split(","))
                why = ("native histograms in the data" if "hist" in flags else
                       "series names OpenMetrics cannot carry" if "noname" in flags else None)
                if why:
                    skipped[why] = skipped.get(why, 0) + 1
                    continue
                states.setdefault(int(state), []).append({
                    "line": int(ln), "expr": expr, "range": "range" in flags,
                    "ordered": "ordered" in flags, "norange": "norange" in flags,
                    "times": tuple(int(x) for x in times.split(":"))})
        counts = {"a_pass": 0, "a_fail": 0, "b_agree": 0, "b_cause": {}}
        out = []
        for state, evals in sorted(states.items()):
            try:
                run_state(o.heed, conf_file, o.work, state, evals, files_dir, counts, out)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                counts["a_fail"] += len(evals)
                out.append("not ok: %s state %d: %s" % (name, state, e))
        for line in out:
            print(line)
        n = sum(len(v) for v in states.values())
        causes = ", ".join("%s %d" % (c, k) for c, k in sorted(counts["b_cause"].items()))
        print("%s: %d evals (%d skipped: %s); (a) expected results %d/%d; (b) Prometheus 2.42 agrees %d/%d%s" % (
            name, n + sum(skipped.values()), sum(skipped.values()),
            ", ".join("%s %d" % kv for kv in sorted(skipped.items())) or "none",
            counts["a_pass"], n, counts["b_agree"], n, "; differs: " + causes if causes else ""))
        total["a_pass"] += counts["a_pass"]
        total["a_fail"] += counts["a_fail"]
        total["b_agree"] += counts["b_agree"]
        total["skipped"] += sum(skipped.values())
        for c, k in counts["b_cause"].items():
            total["b_cause"][c] = total["b_cause"].get(c, 0) + k
    n = total["a_pass"] + total["a_fail"]
    print("total: (a) heed over the datasource matches the expected results %d/%d; (b) Prometheus 2.42 "
          "agrees %d/%d; %d evals skipped" % (total["a_pass"], n, total["b_agree"], n, total["skipped"]))
    for c, k in sorted(total["b_cause"].items()):
        print("  (b) differs by cause: %s: %d" % (c, k))
    unexplained = total["b_cause"].get("unexplained", 0)
    print("%d passed, %d failed" % (total["a_pass"] + total["b_agree"] + sum(
        k for c, k in total["b_cause"].items() if c != "unexplained"), total["a_fail"] + unexplained))
    return 1 if total["a_fail"] + unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
