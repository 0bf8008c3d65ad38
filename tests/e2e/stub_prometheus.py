#!/usr/bin/env python3
"""stub_prometheus.py: a loopback stand-in for a misbehaving Prometheus query
API, for the datasource failure tests. Listens on 127.0.0.1 on a free port
and writes that port to the file given as its only argument.

The first path segment picks the behaviour, so a test points heed's
--datasource at http://127.0.0.1:PORT/<scenario> and heed's request lands on
/<scenario>/api/v1/query. GET /<scenario>/count returns how many query
requests that scenario has received (to check retries).
"""
import http.server
import json
import sys
import threading
import time

COUNTS = {}
LOCK = threading.Lock()

GOOD = json.dumps({
    "status": "success",
    "data": {"resultType": "matrix", "result": [
        {"metric": {"__name__": "up", "job": "stub"},
         "values": [[1700000000.123, "1"], [1700000015.123, "0"]]}]}}).encode()


def prom_error(etype, msg):
    return json.dumps({"status": "error", "errorType": etype, "error": msg}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body, ctype="application/json", length=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.split("/")
        if len(parts) == 3 and parts[2] == "count":
            with LOCK:
                n = COUNTS.get(parts[1], 0)
            self.send(200, str(n).encode(), "text/plain")
            return
        self.send(404, b"not found", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length)
        parts = self.path.split("/")
        scenario = parts[1] if len(parts) > 1 else ""
        with LOCK:
            COUNTS[scenario] = COUNTS.get(scenario, 0) + 1
            count = COUNTS[scenario]
        if not self.path.endswith("/api/v1/query") or b"query=" not in form:
            self.send(400, prom_error("bad_data", "stub: not a query request"))
            return
        getattr(self, "s_" + scenario, self.s_unknown)(count)

    def s_unknown(self, count):
        self.send(404, b"no such scenario", "text/plain")

    def s_ok(self, count):
        self.send(200, GOOD)

    def s_500json(self, count):
        self.send(500, prom_error("internal", "stub: something broke inside"))

    def s_500plain(self, count):
        self.send(500, b"Internal Server Error\n", "text/plain")

    def s_503json(self, count):
        self.send(503, prom_error("timeout", "query timed out in expression evaluation"))

    def s_503plain(self, count):
        self.send(503, b"<html><body><h1>503 Service Unavailable</h1></body></html>\n", "text/html")

    def s_502then200(self, count):
        if count == 1:
            self.send(502, b"Bad Gateway\n", "text/plain")
        else:
            self.send(200, GOOD)

    def s_422json(self, count):
        self.send(422, prom_error("execution", "query processing would load too many samples into memory "
                                                "in query execution"))

    def s_400json(self, count):
        self.send(400, prom_error("bad_data", "invalid parameter \"query\": 1:8: parse error: unexpected end "
                                               "of input"))

    def s_malformed(self, count):
        self.send(200, b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":{}, "values":[[1,2]]}]}}')

    def s_notjson(self, count):
        self.send(200, b"this is not JSON\n", "text/plain")

    def s_empty(self, count):
        self.send(200, b"")

    def s_truncated(self, count):
        # Promises more than it sends, then closes the connection.
        body = GOOD[: len(GOOD) // 2]
        self.send(200, body, length=len(GOOD))
        self.close_connection = True

    def s_truncatedclose(self, count):
        # No length at all: the body ends when the connection closes, mid-JSON.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(GOOD[: len(GOOD) - 10])
        self.close_connection = True

    def s_slow(self, count):
        # Half the body at once, then nothing for a long time.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(GOOD)))
        self.end_headers()
        self.wfile.write(GOOD[:20])
        self.wfile.flush()
        time.sleep(30)

    def s_oversized(self, count):
        # A valid, endless-looking matrix: far more than any limit allows.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(b'{"status":"success","data":{"resultType":"matrix","result":[')
            chunk = b",".join(b'{"metric":{"__name__":"big","i":"%d"},"values":[[1,"1"],[2,"2"]]}' % i
                              for i in range(1000))
            for k in range(100000):
                self.wfile.write((b"," if k else b"") + chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def s_big(self, count):
        # A large valid response (about 40 MB), for the bounded-memory check.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        out = self.wfile
        out.write(b'{"status":"success","data":{"resultType":"matrix","result":[')
        values = b",".join(b'[%d.123,"%d.5"]' % (1700000000 + 15 * k, k) for k in range(240))
        for i in range(10000):
            out.write((b"," if i else b"") + b'{"metric":{"__name__":"big","i":"%d"},"values":[' % i + values + b"]}")
        out.write(b"]}}")
        self.close_connection = True

    def s_auth(self, count):
        want = open(sys.argv[2]).read().strip() if len(sys.argv) > 2 else ""
        if self.headers.get("Authorization") != "Bearer " + want:
            self.send(401, b"Unauthorized\n", "text/plain")
            return
        if self.headers.get("X-Scope-OrgID") != "tenant-1":
            self.send(400, prom_error("bad_data", "stub: missing X-Scope-OrgID"))
            return
        self.send(200, GOOD)

    def s_basic(self, count):
        import base64
        want = open(sys.argv[2]).read().strip() if len(sys.argv) > 2 else ""
        cred = base64.b64encode(("heed:" + want).encode()).decode()
        if self.headers.get("Authorization") != "Basic " + cred:
            self.send(401, b"Unauthorized\n", "text/plain")
            return
        self.send(200, GOOD)


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
