#!/usr/bin/env python3
"""scenario_target.py: a loopback /metrics endpoint that plays an incident
story for the real Prometheus to scrape (tests/suites/scenarios_e2e.sh).

Usage: scenario_target.py PORTFILE SPECFILE
Serves GET /metrics on 127.0.0.1 (free port, written to PORTFILE). SPECFILE
is re-read at every scrape, one series a line:
    SERIES counter RATE   a counter growing by RATE per second (0: frozen)
    SERIES gauge VALUE    a gauge
A series missing from the file is not exposed (Prometheus then writes a
staleness marker for it); a counter keeps its value across spec changes.
A file holding the single word DOWN makes the scrape fail (HTTP 500).
"""
import http.server
import sys
import threading
import time

lock = threading.Lock()
counters = {}  # series -> [value, time of the last update]


def render(spec):
    now = time.time()
    out = []
    for line in spec.splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        series, kind, arg = parts
        name = series.split("{", 1)[0]
        if kind == "counter":
            c = counters.setdefault(series, [0.0, now])
            c[0] += float(arg) * (now - c[1])
            c[1] = now
            value = c[0]
        else:
            value = float(arg)
        out.append((name, series, kind, value))
    text = []
    typed = set()
    for name, series, kind, value in out:
        if name not in typed:
            typed.add(name)
            text.append("# TYPE %s %s" % (name, kind))
        text.append("%s %r" % (series, value))
    return ("\n".join(text) + "\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        try:
            with open(sys.argv[2]) as f:
                spec = f.read()
        except OSError:
            spec = ""
        if spec.strip() == "DOWN":
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with lock:
            body = render(spec)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
