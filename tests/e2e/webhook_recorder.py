#!/usr/bin/env python3
"""webhook_recorder.py: an Alertmanager webhook receiver on 127.0.0.1 that
appends every alert of every notification it gets to a file, one JSON
object a line: {"status", "labels", "annotations", "startsAt", "endsAt"}.

Usage: webhook_recorder.py PORTFILE OUTFILE    (runs until killed)
"""
import http.server
import json
import os
import sys
import threading

lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        try:
            msg = json.loads(body)
        except ValueError:
            msg = {"alerts": []}
        with lock, open(sys.argv[2], "a") as f:
            for a in msg.get("alerts", []):
                keep = {k: a.get(k) for k in ("status", "labels", "annotations", "startsAt", "endsAt")}
                f.write(json.dumps(keep, sort_keys=True) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
