#!/usr/bin/env python3
"""hist_datasource_check.py HEED: native histograms through heed's
datasource, against a loopback stub of Prometheus's query API that holds raw
histogram samples and answers the raw fetches (`{__name__="x"}[Nms]`, with
3.x's left-open window) and stale-set queries (nothing is stale) as
Prometheus 3 does, writing histograms as Prometheus writes them. Each case
runs `heed query --datasource` and compares its output, byte for byte, with
the JSON Prometheus's /api/v1/query or /api/v1/query_range gives for it.
Prints ok/not ok lines and "N passed, N failed".
"""
import http.server
import json
import re
import subprocess
import sys
import threading
import urllib.parse

# Prometheus's spelling of histograms: schema 0 with a zero bucket and a
# negative bucket; schema -2; custom bounds (first bucket closed at -Inf).
H1 = {"count": "5", "sum": "-3.5", "buckets": [[1, "-16", "-8", "1"], [3, "-0.001", "0.001", "1"],
                                               [0, "0.5", "1", "1"], [0, "2", "4", "2"]]}
H2 = {"count": "9", "sum": "12.25", "buckets": [[1, "-16", "-8", "2"], [3, "-0.001", "0.001", "1"],
                                                [0, "0.5", "1", "2"], [0, "1", "2", "1"], [0, "2", "4", "3"]]}
H3 = {"count": "3", "sum": "100", "buckets": [[0, "16", "256", "3"]]}
C1 = {"count": "6", "sum": "7.5", "buckets": [[3, "-Inf", "0.1", "1"], [0, "0.5", "1", "3"], [0, "1", "+Inf", "2"]]}
C2 = {"count": "8", "sum": "9", "buckets": [[3, "-Inf", "0.1", "2"], [0, "0.5", "1", "3"], [0, "1", "+Inf", "3"]]}
EMPTY = {"count": "0", "sum": "0"}

# name -> list of (labels, [(t_s, float or histogram object)])
DATA = {
    "h": [({"__name__": "h", "job": "a"}, [(1000, H1), (1015, H2), (1030, H2)]),
          ({"__name__": "h", "job": "b"}, [(1015, H3), (1030, EMPTY)])],
    "nhcb": [({"__name__": "nhcb"}, [(1000, C1), (1015, C2), (1030, C2)])],
    "mixed": [({"__name__": "mixed"}, [(1000, "1"), (1015, "2"), (1030, H3), (1045, H1)])],
}


def series_json(labels, points):
    s = {"metric": labels}
    floats = [[t, v] for t, v in points if isinstance(v, str)]
    hists = [[t, v] for t, v in points if not isinstance(v, str)]
    if floats:
        s["values"] = floats
    if hists:
        s["histograms"] = hists
    return s


def body(rtype, result):
    return json.dumps({"status": "success", "data": {"resultType": rtype, "result": result}},
                      separators=(",", ":"))


class Stub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
        q, t = form["query"][0], float(form["time"][0])
        m = re.fullmatch(r'\{(.*)\}\[(\d+)ms\]', q)
        if m:
            want = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            lo = t - int(m.group(2)) / 1000.0
            out = []
            for labels, pts in DATA.get(want.get("__name__"), []):
                if any(labels.get(k, "") != v for k, v in want.items()):
                    continue
                inside = [(ts, v) for ts, v in pts if lo < ts <= t]
                if inside:
                    out.append(series_json(labels, inside))
            reply = body("matrix", out)
        elif q.startswith("label_replace(") or q.startswith("last_over_time("):
            reply = body("vector", [])
        else:
            reply = json.dumps({"status": "error", "errorType": "bad_data", "error": "stub: unexpected query " + q})
        data = reply.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def latest(pts, t):
    before = [(ts, v) for ts, v in pts if t - 300 < ts <= t]
    return before[-1][1] if before else None


def main():
    heed = sys.argv[1]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % srv.server_address[1]

    (ha, hpa), (hb, hpb) = DATA["h"]
    (nl, npts), = DATA["nhcb"]
    (ml, mpts), = DATA["mixed"]
    cases = [
        ("instant selector: the newest histogram, at the evaluation time", ["--time", "1040"], "h",
         body("vector", [{"metric": ha, "histogram": [1040, latest(hpa, 1040)]},
                         {"metric": hb, "histogram": [1040, latest(hpb, 1040)]}])),
        ("range selector: raw histograms", ["--time", "1040"], "h[30s]",
         body("matrix", [series_json(ha, [p for p in hpa if 1010 < p[0] <= 1040]),
                         series_json(hb, [p for p in hpb if 1010 < p[0] <= 1040])])),
        ("range query over custom buckets", ["--start", "1000", "--end", "1030", "--step", "15"], "nhcb",
         body("matrix", [series_json({"__name__": "nhcb"}, [(t, latest(npts, t)) for t in (1000, 1015, 1030)])])),
        ("a series that turns from floats to histograms", ["--time", "1050"], "mixed[1m]",
         body("matrix", [series_json(ml, [p for p in mpts if 990 < p[0] <= 1050])])),
        ("histogram_count drops the name", ["--time", "1040"], "histogram_count(h)",
         body("vector", [{"metric": {"job": "a"}, "value": [1040, latest(hpa, 1040)["count"]]},
                         {"metric": {"job": "b"}, "value": [1040, latest(hpb, 1040)["count"]]}])),
        ("sum of one histogram is that histogram", ["--time", "1040"], 'sum(h{job="a"})',
         body("vector", [{"metric": {}, "histogram": [1040, latest(hpa, 1040)]}])),
        ("range query mixing floats and histograms", ["--start", "1015", "--end", "1045", "--step", "15"],
         "mixed", body("matrix", [series_json({"__name__": "mixed"},
                                              [(t, latest(mpts, t)) for t in (1015, 1030, 1045)])])),
    ]
    passed = failed = 0
    for name, args, expr, want in cases:
        r = subprocess.run([heed, "query", "--datasource", url] + args + [expr], capture_output=True, text=True,
                           timeout=60)
        got = r.stdout.strip()
        if r.returncode == 0 and got == want:
            passed += 1
            print("ok: " + name)
        else:
            failed += 1
            print("not ok: %s (exit %d)\n    want: %s\n    got:  %s %s" % (name, r.returncode, want, got,
                                                                        r.stderr.strip()[:300]))
    srv.shutdown()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
