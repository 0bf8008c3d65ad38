#!/usr/bin/env python3
"""daemon_stub.py DIR: a loopback stand-in for both ends of `heed run`, for
the daemon smoke suite. Listens on 127.0.0.1 on a free port, written to
DIR/port.

- Prometheus query API: POST /api/v1/query answers every query with one
  series up{job="smoke"} whose value is read from DIR/value at each request
  ("none": no series). A range selector (query ending in "]") gets a matrix
  of samples every second over the window; anything else a vector at the
  query time. The stale-set query heed's datasource asks (one with
  "unless") is always empty: the stub's series never goes stale.
- remote write: POST /api/v1/write appends the body size to DIR/writes.
- Alertmanager: POST /api/v2/alerts appends the body (one JSON array per
  line) to DIR/alerts.jsonl and answers 200.
- Slow queries: a query naming heed_slow waits DIR/delay seconds (if that
  file exists) before answering; the most such queries ever in progress at
  once is kept in DIR/slow_max.
"""
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.parse

DIR = sys.argv[1]
LOCK = threading.Lock()
SLOW = {"now": 0, "max": 0}


def current_value():
    try:
        with open(os.path.join(DIR, "value")) as f:
            return f.read().strip()
    except OSError:
        return "1"


def duration_seconds(s):
    total = 0.0
    for num, unit in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", s):
        total += int(num) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}[unit]
    return total


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.send(404, b"not found", "text/plain")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urllib.parse.urlparse(self.path).path
        if path.endswith("/api/v2/alerts"):
            with LOCK, open(os.path.join(DIR, "alerts.jsonl"), "ab") as f:
                f.write(body.replace(b"\n", b" ") + b"\n")
            self.send(200, b"")
            return
        if path.endswith("/api/v1/write"):
            with LOCK, open(os.path.join(DIR, "writes"), "a") as f:
                f.write("%d\n" % len(body))
            self.send(204, b"")
            return
        if not path.endswith("/api/v1/query"):
            self.send(404, b"not found", "text/plain")
            return
        form = urllib.parse.parse_qs(body.decode())
        query = form.get("query", [""])[0]
        if "heed_slow" in query:
            self.slow()
        t = float(form.get("time", ["0"])[0])
        value = current_value()
        metric = {"__name__": "up", "job": "smoke"}
        m = re.search(r"\[([0-9a-z]+)\]$", query)
        if value == "none" or " unless " in query:
            # heed's datasource asks which series ended with a staleness
            # marker ("... unless sel"): the stub's series never ends
            result = []
        elif m:
            window = duration_seconds(m.group(1))
            start = int(t - window) + 1
            result = [{"metric": metric, "values": [[float(s), value] for s in range(start, int(t) + 1)]}]
        else:
            result = [{"metric": metric, "value": [t, value]}]
        rtype = "matrix" if m else "vector"
        out = json.dumps({"status": "success", "data": {"resultType": rtype, "result": result}}).encode()
        self.send(200, out)


    def slow(self):
        try:
            with open(os.path.join(DIR, "delay")) as f:
                delay = float(f.read().strip())
        except OSError:
            return
        with LOCK:
            SLOW["now"] += 1
            SLOW["max"] = max(SLOW["max"], SLOW["now"])
            with open(os.path.join(DIR, "slow_max"), "w") as f:
                f.write("%d\n" % SLOW["max"])
        time.sleep(delay)
        with LOCK:
            SLOW["now"] -= 1


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
srv.serve_forever()
