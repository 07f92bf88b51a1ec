#!/usr/bin/env python3
"""Sessions for scripts/scaleout-e2e.sh (run inside the test's pod namespaces).

  spread_sessions.py serve HOST PORT...            # each connection: "BYTES RATE\\n" -> that many bytes at RATE B/s
  spread_sessions.py many HOST PORT COUNT FIRST     # COUNT short sessions from source ports FIRST.., prints ok/failed
  spread_sessions.py transfers HOST PORT COUNT BYTES RATE   # parallel downloads; JSON: finished, max stall (s)
  spread_sessions.py denied HOST PORT COUNT TIMEOUT # connection attempts; prints how many got through
"""
import json
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def serve(host, ports):
    def handle(conn):
        with conn:
            line = b""
            while not line.endswith(b"\n"):
                chunk = conn.recv(64)
                if not chunk:
                    return
                line += chunk
            size, rate = (int(x) for x in line.split())
            start, sent, block = time.monotonic(), 0, 16384
            while sent < size:
                n = min(block, size - sent)
                conn.sendall(b"x" * n)
                sent += n
                if rate:
                    ahead = sent / rate - (time.monotonic() - start)
                    if ahead > 0:
                        time.sleep(ahead)

    def listen(port):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(1024)
        while True:
            conn, _ = s.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    for port in ports:
        threading.Thread(target=listen, args=(port,), daemon=True).start()
    while True:
        time.sleep(3600)


def one(host, port, source_port, timeout=3.0):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(timeout)
    try:
        if source_port:
            s.bind(("0.0.0.0", source_port))
        s.connect((host, port))
        s.sendall(b"1 0\n")
        return s.recv(1) == b"x"
    except OSError:
        return False
    finally:
        s.close()


def many(host, port, count, first):
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: one(host, port, first + i), range(count)))
    print(json.dumps({"ok": sum(results), "failed": count - sum(results)}))


def transfers(host, port, count, size, rate):
    out = [None] * count

    def run(i):
        s = socket.create_connection((host, port), timeout=30)
        s.settimeout(30)
        s.sendall(b"%d %d\n" % (size, rate))
        got, last, stall = 0, time.monotonic(), 0.0
        try:
            while got < size:
                chunk = s.recv(65536)
                if not chunk:
                    break
                now = time.monotonic()
                stall = max(stall, now - last)
                last = now
                got += len(chunk)
        except OSError:
            pass
        s.close()
        out[i] = {"bytes": got, "finished": got == size, "stall": round(stall, 3)}

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"finished": sum(o["finished"] for o in out), "count": count,
                      "max_stall": max(o["stall"] for o in out),
                      "stalls": sorted(o["stall"] for o in out)}))


def denied(host, port, count, timeout):
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: one(host, port, 0, timeout), range(count)))
    print(json.dumps({"through": sum(results), "count": count}))


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "serve":
        serve(args[0], [int(p) for p in args[1:]])
    elif mode == "many":
        many(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif mode == "transfers":
        transfers(args[0], int(args[1]), int(args[2]), int(args[3]), int(args[4]))
    elif mode == "denied":
        denied(args[0], int(args[1]), int(args[2]), float(args[3]))
    else:
        sys.exit(__doc__)
