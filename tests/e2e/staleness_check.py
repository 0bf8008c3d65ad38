#!/usr/bin/env python3
"""staleness_check.py: compares, instant by instant, which series the real
Prometheus returns for an instant selector with what heed's storage path
(`heed fetch --exact`) lets an engine conclude, right around the moment a
series ended with a staleness marker.

Usage: staleness_check.py URL HEED SELECTOR FROM_MS TO_MS NAME [--single-only-info]

For instants t from FROM_MS to TO_MS (every 250 ms, plus 1 ms either side of
each boundary Prometheus shows), "present" means: Prometheus's /api/v1/query
of SELECTOR at t returns the series. heed's answer comes from its raw
samples with reconstructed markers, by instant-selector rules (newest sample
at or before t within the 5 m lookback; absent when it is a staleness marker):
  per-t:  fetched with maxt = t (as an evaluation at t fetches); must agree
  single: one fetch with maxt = TO_MS, evaluated at every earlier t (as a
          subquery would); reported, and must agree unless --single-only-info
Prints ok/not ok lines; the caller counts them.
"""
import json
import subprocess
import sys
import urllib.parse
import urllib.request

LOOKBACK = 300000


def prom_present(url, sel, t_ms):
    data = urllib.parse.urlencode({"query": sel, "time": "%d.%03d" % divmod(t_ms, 1000)}).encode()
    with urllib.request.urlopen(url + "/api/v1/query", data, timeout=20) as r:
        body = json.load(r)
    return {tuple(sorted(s["metric"].items())) for s in body["data"]["result"]}


def heed_fetch(heed, url, sel, t_ms, window_ms):
    out = subprocess.run([heed, "fetch", "--datasource", url, "--time", "%d.%03d" % divmod(t_ms, 1000), "--exact",
                          "%s[%dms]" % (sel, window_ms)], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError("heed fetch failed: " + out.stderr)
    series, cur = {}, None
    for line in out.stdout.splitlines():
        if line.startswith("series "):
            text = line[len("series {"):-1]
            labels = []
            for part in text.split(", ") if text else []:
                k, v = part.split("=", 1)
                labels.append((k, json.loads(v)))
            cur = tuple(sorted(labels))
            series[cur] = []
        else:
            t, v = line.split()
            series[cur].append((int(t), v))
    return series


def heed_present(series, t_ms):
    present = set()
    for key, pts in series.items():
        newest = None
        for t, v in pts:
            if t <= t_ms:
                newest = (t, v)
        if newest and newest[0] > t_ms - LOOKBACK and newest[1] != "stale":
            present.add(key)
    return present


def main():
    url, heed, sel, t0, t1, name = sys.argv[1:7]
    single_info = "--single-only-info" in sys.argv
    t0, t1 = int(t0), int(t1)
    single = heed_fetch(heed, url, sel, t1, LOOKBACK)
    instants = set(range(t0, t1 + 1, 250))
    # Boundaries: around each sample and each marker heed placed, +-1 ms.
    for pts in single.values():
        for t, _ in pts:
            if t0 <= t <= t1:
                instants.update({t - 1, t, t + 1})
    instants = sorted(i for i in instants if t0 <= i <= t1)
    bad_per, bad_single = [], []
    for t in instants:
        want = prom_present(url, sel, t)
        got_per = heed_present(heed_fetch(heed, url, sel, t, LOOKBACK), t)
        got_single = heed_present(single, t)
        if want != got_per:
            bad_per.append(t)
        if want != got_single:
            bad_single.append(t)
    n = len(instants)
    markers = sum(1 for pts in single.values() for _, v in pts if v == "stale")
    print("%s %s: per-instant fetch agrees at %d of %d instants" % (
        "ok:" if not bad_per else "not ok:", name, n - len(bad_per), n))
    if bad_per:
        print("  disagreeing instants (ms): %s" % bad_per[:10])
    tag = "ok:" if not bad_single else ("info:" if single_info else "not ok:")
    print("%s %s: one fetch at the end agrees at %d of %d instants (%d markers reconstructed)" % (
        tag, name, n - len(bad_single), n, markers))
    if bad_single:
        print("  disagreeing instants (ms): %s" % bad_single[:10])


if __name__ == "__main__":
    main()
