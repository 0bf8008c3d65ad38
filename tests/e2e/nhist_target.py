#!/usr/bin/env python3
"""nhist_target.py PORTFILE: a loopback scrape target exposing native
histograms in the protobuf exposition format (delimited MetricFamily
messages), for the real Prometheus started with
--enable-feature=native-histograms. Listens on 127.0.0.1 on a free port and
writes the port to PORTFILE. Every scrape observes a few more values, so the
histograms grow like counters: a schema-0 histogram with a zero bucket and
negative buckets (job "a") and a schema-3 one (job "b")."""
import http.server
import struct
import sys
import threading

LOCK = threading.Lock()
SCRAPES = [0]


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(n):
    return (n << 1) ^ (n >> 63)


def field(no, wire, payload):
    return varint((no << 3) | wire) + payload


def f_varint(no, n):
    return field(no, 0, varint(n))


def f_double(no, x):
    return field(no, 1, struct.pack("<d", x))


def f_bytes(no, b):
    return field(no, 2, varint(len(b)) + b)


def span(offset, length):
    return f_varint(1, zigzag(offset)) + f_varint(2, length)


def histogram(schema, count, total, zero_thr, zero_count, pos, neg):
    """pos/neg: (first index, [absolute counts]); written as one span each with deltas."""
    h = f_varint(1, count) + f_double(2, total) + f_varint(5, zigzag(schema))
    h += f_double(6, zero_thr) + f_varint(7, zero_count)
    for span_no, delta_no, (off, counts) in ((9, 10, neg), (12, 13, pos)):
        if not counts:
            continue
        h += f_bytes(span_no, span(off, len(counts)))
        prev = 0
        packed = b""
        for c in counts:
            packed += varint(zigzag(c - prev))
            prev = c
        h += f_bytes(delta_no, packed)
    return h


def family(n):
    metrics = b""
    # job a: schema 0; zero bucket; positive buckets 0..2 with an empty one; negative bucket 4
    pos = [1 + n, 0, 2 + 2 * n]
    neg = [1 + n // 2]
    zero = 1 + n
    count = sum(pos) + sum(neg) + zero
    total = 3.5 * n - 1
    m = f_bytes(1, f_bytes(1, b"job") + f_bytes(2, b"a"))
    m += f_bytes(7, histogram(0, count, total, 0.001, zero, (0, pos), (4, neg)))
    metrics += f_bytes(4, m)
    # job b: schema 3, no zero observations
    pos = [n, 1 + n, 3]
    m = f_bytes(1, f_bytes(1, b"job") + f_bytes(2, b"b"))
    m += f_bytes(7, histogram(3, sum(pos), 2.25 * n, 2.938735877055719e-39, 0, (5, pos), (0, [])))
    metrics += f_bytes(4, m)
    mf = f_bytes(1, b"h") + f_varint(3, 4) + metrics
    return varint(len(mf)) + mf


class Target(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with LOCK:
            SCRAPES[0] += 1
            n = SCRAPES[0]
        body = family(n)
        self.send_response(200)
        self.send_header("Content-Type",
                         "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
