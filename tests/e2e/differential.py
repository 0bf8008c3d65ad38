#!/usr/bin/env python3
"""differential.py: evaluates PromQL expressions (stdin, one per line) at
the given times twice, with the real Prometheus (its /api/v1/query) and with
heed's engine over its datasource (`heed fetch --eval`), and compares the
results: same series (order aside), same timestamps, floats within 1e-9
relative, or the same errorType when Prometheus refuses.

Usage: differential.py URL HEED TIME... < expressions
Prints one "not ok" line per disagreement and "N passed, N failed".
"""
import concurrent.futures
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


prom_to_text = load("prom_to_text")
compare_text = load("compare_text")


def prometheus(url, expr, t):
    data = urllib.parse.urlencode({"query": expr, "time": t}).encode()
    try:
        with urllib.request.urlopen(url + "/api/v1/query", data, timeout=30) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        body = e.read()
    return body.decode()


def to_text(body):
    import contextlib
    import io
    out = io.StringIO()
    old = sys.stdin
    sys.stdin = io.StringIO(body)
    try:
        with contextlib.redirect_stdout(out):
            rc = prom_to_text.main()
    finally:
        sys.stdin = old
    return rc, out.getvalue()


def check(url, heed, expr, t, tmp):
    body = prometheus(url, expr, t)
    rc, want = to_text(body)
    got = subprocess.run([heed, "fetch", "--datasource", url, "--time", t, "--eval", expr],
                         capture_output=True, text=True, timeout=60)
    if rc != 0:
        etype = json.loads(body).get("errorType")
        if got.returncode != 0 and ("(%s)" % etype) in got.stderr:
            return None
        return "Prometheus: %s; heed exit %d: %s" % (want.strip(), got.returncode, got.stderr.strip()[:300])
    if got.returncode != 0:
        return "heed failed: " + got.stderr.strip()[:300]
    wf, gf = tmp + ".want", tmp + ".got"
    with open(wf, "w") as f:
        f.write(want)
    with open(gf, "w") as f:
        f.write(got.stdout)
    # compare_text.differences is pure: safe from the worker threads
    diffs = compare_text.differences(wf, gf)
    return "\n".join("  " + d for d in diffs[:10]) if diffs else None


def main():
    url, heed, times = sys.argv[1], sys.argv[2], sys.argv[3:]
    exprs = [line.strip() for line in sys.stdin if line.strip() and not line.startswith("#")]
    jobs = [(e, t) for t in times for e in exprs]
    tmpdir = tempfile.mkdtemp(dir=os.environ.get("TMPDIR"))
    passed = failed = 0

    def one(i):
        e, t = jobs[i]
        return e, t, check(url, heed, e, t, os.path.join(tmpdir, str(i)))

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for e, t, why in pool.map(one, range(len(jobs))):
            if why is None:
                passed += 1
            else:
                failed += 1
                print("not ok: at %s: %s\n%s" % (t, e, "\n".join("    " + l for l in why.splitlines()[:6])))
    for f in os.listdir(tmpdir):
        os.remove(os.path.join(tmpdir, f))
    os.rmdir(tmpdir)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
