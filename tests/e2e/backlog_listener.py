#!/usr/bin/env python3
"""backlog_listener.py: a loopback port whose listen queue is full, so new
connections hang in the handshake (a connect timeout, on 127.0.0.1 only).

Usage: backlog_listener.py PORTFILE    (runs until killed)
"""
import os
import socket
import sys
import time

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(4):  # never accepted: they fill the queue
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    fill.append(c)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(port))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(60)
