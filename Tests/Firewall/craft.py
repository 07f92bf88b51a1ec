#!/usr/bin/env python3
"""Crafted packets for scripts/firewall-attacks-e2e.sh, sent from inside a pod's network
namespace with an AF_PACKET socket (CAP_NET_RAW, which default containers have): the
kernel adds nothing, so fragments, overlaps and checksums leave exactly as written.

  craft.py IFACE GATEWAY_MAC frags4 SRC DST DPORT ORDER ID     # e.g. ORDER 0,1,1
  craft.py IFACE GATEWAY_MAC frags6 SRC DST DPORT ORDER ID
  craft.py IFACE GATEWAY_MAC overlap4 SRC DST DPORT ID         # 0 then a differing overlap
  craft.py IFACE GATEWAY_MAC flood4 SRC DST DPORT COUNT FIRST_ID
  craft.py IFACE GATEWAY_MAC udp4 SRC DST DPORT COUNT good|bad
  craft.py IFACE GATEWAY_MAC syn4 SRC DST DPORT COUNT          # lone SYNs, one per source port
Prints, for fragmented datagrams, the sha256 of the payload the receiver should log.
"""
import hashlib
import ipaddress
import socket
import struct
import sys
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp(src, dst, sport, dport, payload, good=True):
    length = 8 + len(payload)
    header = struct.pack("!HHHH", sport, dport, length, 0)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 17, length)
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", length, 17)
    value = checksum(pseudo + header + payload) or 0xFFFF
    if not good:
        value ^= 0x5A5A   # wrong, and not zero (zero means "no checksum" over IPv4)
    return struct.pack("!HHHH", sport, dport, length, value) + payload


def ipv4(src, dst, ident, offset, more, data, proto=17):
    flags = (0x2000 if more else 0) | (offset // 8)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident, flags, 64, proto, 0, src.packed, dst.packed)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + data


def ipv6(src, dst, ident, offset, more, data, next_header=17):
    fragment = struct.pack("!BBHI", next_header, 0, offset | (1 if more else 0), ident)
    return struct.pack("!IHBB16s16s", 0x6 << 28, 8 + len(data), 44, 64, src.packed, dst.packed) + fragment + data


def payload_for(ident, size=1200):
    return bytes((ident * 31 + i * 7) & 0xFF for i in range(size))


def main():
    iface, gateway, command, *args = sys.argv[1:]
    mac_of = lambda text: bytes.fromhex(text.replace(":", ""))
    own = mac_of(open(f"/sys/class/net/{iface}/address").read().strip())
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))

    def send(packet):
        ethertype = 0x0800 if packet[0] >> 4 == 4 else 0x86DD
        s.send(mac_of(gateway) + own + struct.pack("!H", ethertype) + packet)

    src, dst = ipaddress.ip_address(args[0]), ipaddress.ip_address(args[1])
    dport = int(args[2])
    if command in ("frags4", "frags6"):
        order = [int(x) for x in args[3].split(",")]
        ident = int(args[4])
        payload = payload_for(ident)
        datagram = udp(src, dst, 40000 + ident % 1000, dport, payload)
        cut = 600
        pieces = [(0, True, datagram[:cut]), (cut, False, datagram[cut:])]
        for i in order:
            offset, more, data = pieces[i]
            send((ipv4 if command == "frags4" else ipv6)(src, dst, ident, offset, more, data))
            time.sleep(0.05)
        print(hashlib.sha256(payload).hexdigest()[:16])
    elif command == "overlap4":
        ident = int(args[3])
        payload = payload_for(ident)
        datagram = udp(src, dst, 40000, dport, payload)
        evil = bytearray(datagram)
        evil[550] ^= 0xFF   # a byte the first piece holds too
        send(ipv4(src, dst, ident, 0, True, datagram[:600]))
        time.sleep(0.05)
        send(ipv4(src, dst, ident, 544, False, bytes(evil[544:])))
        print(hashlib.sha256(bytes(evil[8:])).hexdigest()[:16])
    elif command == "flood4":
        count, first = int(args[3]), int(args[4])
        for k in range(count):
            ident = (first + k) & 0xFFFF
            send(ipv4(src, dst, ident, 0, True, udp(src, dst, 40000, dport, bytes(64))[:64]))
            if k % 50 == 49:
                time.sleep(0.01)   # stay under the sockets' buffers: every piece must reach the firewall
    elif command == "udp4":
        count, good = int(args[3]), args[4] == "good"
        for k in range(count):
            send(ipv4(src, dst, 0x4000 + k, 0, False, udp(src, dst, 41000 + k, dport, b"checksum-%03d" % k, good)))
            time.sleep(0.005)
    elif command == "syn4":
        count = int(args[3])
        for k in range(count):
            sport = 20000 + k % 40000
            segment = struct.pack("!HHIIBBHHH", sport, dport, 1000 + k, 0, 5 << 4, 0x02, 64240, 0, 0)
            pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 6, len(segment))
            segment = segment[:16] + struct.pack("!H", checksum(pseudo + segment)) + segment[18:]
            send(ipv4(src, dst, k & 0xFFFF, 0, False, segment, proto=6))
            if k % 50 == 49:
                time.sleep(0.01)   # stay under the sockets' buffers: every SYN must reach the firewall
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
