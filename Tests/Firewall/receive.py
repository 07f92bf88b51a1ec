#!/usr/bin/env python3
"""Logs every UDP datagram received on ADDRESS:PORT pairs, one line each:
"PORT LENGTH SHA256[:16]", flushed at once (scripts/firewall-attacks-e2e.sh reads it).

  receive.py LOG ADDRESS:PORT [ADDRESS:PORT ...]     # [fd00::1]:7000 for IPv6
"""
import hashlib
import select
import socket
import sys

log = open(sys.argv[1], "a", buffering=1)
sockets = []
for spec in sys.argv[2:]:
    host, port = spec.rsplit(":", 1)
    family = socket.AF_INET6 if host.startswith("[") else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((host.strip("[]"), int(port)))
    sockets.append(s)
print("ready", file=log)
while True:
    for s in select.select(sockets, [], [])[0]:
        data = s.recv(70000)
        log.write(f"{s.getsockname()[1]} {len(data)} {hashlib.sha256(data).hexdigest()[:16]}\n")
