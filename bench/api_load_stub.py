#!/usr/bin/env python3
"""api_load_stub.py DIR N: a loopback stand-in for the Prometheus query API,
for bench/api_load.sh. POST /api/v1/query answers every selector with N
series load_metric{instance="i-<k>"} of value 1, sampled every 5 s: a range
selector (query ending in "]") gets a matrix of the samples in its window,
anything else a vector at the query time; the stale-set query (one with
"unless") is empty. Listens on 127.0.0.1, port written to DIR/port."""
import http.server
import os
import re
import sys
import urllib.parse

DIR, N = sys.argv[1], int(sys.argv[2])
STEP = 5.0
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
METRICS = ['{"__name__":"load_metric","instance":"i-%d"}' % k for k in range(N)]


def seconds(s):
    return sum(int(n) * UNITS[u] for n, u in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", s))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        form = urllib.parse.parse_qs(body.decode())
        query = form.get("query", [""])[0]
        t = float(form.get("time", ["0"])[0])
        m = re.search(r"\[([0-9a-z]+)\]$", query)
        if " unless " in query:
            kind, items = "vector", ""
        elif m:
            first = (int((t - seconds(m.group(1))) / STEP) + 1) * STEP
            ts = []
            while first <= t:
                ts.append(first)
                first += STEP
            values = ",".join('[%.3f,"1"]' % x for x in ts)
            kind = "matrix"
            items = ",".join('{"metric":%s,"values":[%s]}' % (mm, values) for mm in METRICS)
        else:
            kind = "vector"
            items = ",".join('{"metric":%s,"value":[%.3f,"1"]}' % (mm, t) for mm in METRICS)
        out = '{"status":"success","data":{"resultType":"%s","result":[%s]}}' % (kind, items)
        self.send(200, out.encode())


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
srv.serve_forever()
