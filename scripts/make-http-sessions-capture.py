#!/usr/bin/env python3
"""Writes a capture of N plaintext HTTP sessions for the URL filtering benchmark
(docs/PERFORMANCE.md, "URL filtering, inline"): each session is SYN, SYN+ACK, ACK, one or
more GETs (Host: siteK.example, K drawn from 200,000 names) each answered 200, then FINs.

    scripts/make-http-sessions-capture.py 50000 /tmp/http.pcap            # one GET a session
    scripts/make-http-sessions-capture.py 50000 /tmp/http4.pcap --requests 4   # kept alive
    scripts/make-http-sessions-capture.py --list 100000 /tmp/list.txt      # siteK.example, even K
"""
import argparse
import random
import struct


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def packet(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int)
    parser.add_argument("out")
    parser.add_argument("--requests", type=int, default=1, help="GETs a session (kept alive)")
    parser.add_argument("--list", action="store_true", help="write the list of siteK.example (even K < 2*count) instead")
    args = parser.parse_args()
    if args.list:
        with open(args.out, "w") as f:
            for k in range(0, 2 * args.count, 2):
                f.write("site%d.example\n" % k)
        return
    rng = random.Random(7)
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))   # raw IP
        t = 1_700_000_000.0

        def write(frame):
            nonlocal t
            t += 0.00001
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(frame), len(frame)) + frame)

        for i in range(args.count):
            client = bytes([10, 1, (i >> 8) & 0xFF, i & 0xFF])
            server = bytes([10, 2, 0, 1 + i % 200])
            port = 10000 + i % 50000
            cs, ss = 1000, 5000
            write(packet(client, server, port, 80, cs - 1, 0, 0x02))
            write(packet(server, client, 80, port, ss - 1, cs, 0x12))
            write(packet(client, server, port, 80, cs, ss, 0x10))
            for _ in range(args.requests):
                host = "site%d.example" % rng.randrange(200_000)
                get = ("GET /p/%d HTTP/1.1\r\nHost: %s\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n" % (i, host)).encode()
                write(packet(client, server, port, 80, cs, ss, 0x18, get))
                cs += len(get)
                answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
                write(packet(server, client, 80, port, ss, cs, 0x18, answer))
                ss += len(answer)
            write(packet(client, server, port, 80, cs, ss, 0x11))
            write(packet(server, client, 80, port, ss, cs + 1, 0x11))
            write(packet(client, server, port, 80, cs + 1, ss + 1, 0x10))


if __name__ == "__main__":
    main()
