"""A scripted remote-write receiver for heed's end-to-end suite, on 127.0.0.1.

Real Prometheus answers 2xx or 400; this one answers whatever the test
scripts, to check retries, Retry-After and the headers heed sends.
  usage: remote_write_fake_receiver.py PORT STATUS_FILE LOG_FILE
STATUS_FILE holds one reply per line, "CODE" or "CODE RETRY_AFTER_SECONDS";
each POST consumes the first line except the last, which then repeats.
Every POST is appended to LOG_FILE as one JSON object (time, path, headers,
body size, reply, and the client certificate's common name under TLS).
With FAKE_TLS_CERT and FAKE_TLS_KEY set it serves HTTPS; with FAKE_TLS_CLIENT_CA
also set it requires a client certificate signed by that CA.
"""
import os
import ssl
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT, STATUS_FILE, LOG_FILE = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def next_reply():
    with open(STATUS_FILE) as f:
        lines = [l.split() for l in f if l.strip()]
    if not lines:
        return 204, None
    if len(lines) > 1:
        with open(STATUS_FILE, "w") as f:
            f.writelines(" ".join(l) + "\n" for l in lines[1:])
    first = lines[0]
    return int(first[0]), (first[1] if len(first) > 1 else None)


def client_cn(conn):
    if not isinstance(conn, ssl.SSLSocket):
        return None
    cert = conn.getpeercert()
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return None


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        code, retry_after = next_reply()
        with open(LOG_FILE, "a") as f:
            f.write(json.dumps({
                "t": time.monotonic(),
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "size": len(body),
                "status": code,
                "client_cn": client_cn(self.connection),
            }) + "\n")
        msg = b"" if code // 100 == 2 else b"scripted failure\n"
        self.send_response(code)
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Length", str(len(msg)))
        self.end_headers()
        self.wfile.write(msg)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", PORT), Handler)
if os.environ.get("FAKE_TLS_CERT"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["FAKE_TLS_CERT"], os.environ["FAKE_TLS_KEY"])
    if os.environ.get("FAKE_TLS_CLIENT_CA"):
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(os.environ["FAKE_TLS_CLIENT_CA"])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    # A refused handshake is part of the test, not an error worth a traceback.
    server.handle_error = lambda request, address: None
server.serve_forever()
