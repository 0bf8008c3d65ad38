#!/usr/bin/env python3
"""scrape_target.py: a loopback /metrics endpoint whose exposition the test
controls, for staleness tests with the real Prometheus scraping it.

Usage: scrape_target.py PORTFILE EXPOSITIONFILE
Serves GET /metrics on 127.0.0.1 (free port, written to PORTFILE) with the
current content of EXPOSITIONFILE, re-read at every scrape. If that file
holds the single word DOWN, the scrape gets HTTP 500 (a failing target).
"""
import http.server
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        try:
            with open(sys.argv[2], "rb") as f:
                body = f.read()
        except OSError:
            body = b""
        if body.strip() == b"DOWN":
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the scraper went away (the test is ending)


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
