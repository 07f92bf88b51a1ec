#!/usr/bin/env python3
# JA4 (FoxIO spec, technical_details/JA4.md) of every TLS ClientHello in a capture, computed
# from tshark's own dissection, independently of Rampart's parser. The expected values in
# Tests/RampartInspectTests/AppIDTLSTests.swift come from:
#   python3 scripts/appid/ja4-reference.py Tests/Captures/appid/tls.pcap
# Output: client port, server port, JA4.
import hashlib, subprocess, sys
f = ["tcp.srcport","tcp.dstport","tls.handshake.ciphersuite","tls.handshake.extension.type",
     "tls.handshake.sig_hash_alg","tls.handshake.extensions_alpn_str","tls.handshake.extensions.supported_version",
     "tls.handshake.version","tls.handshake.extensions_server_name"]
out = subprocess.run(["tshark","-r",sys.argv[1],"-Y","tls.handshake.type==1","-T","fields","-E","separator=|","-E","aggregator=,"]
     + sum([["-e",x] for x in f],[]), capture_output=True, text=True).stdout
g = lambda v: (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)
for line in out.strip().split("\n"):
    sp, dp, ci, ex, sg, alpn, sv, ver, sni = line.split("|")
    L = lambda s: [int(x, 16) if x.startswith("0x") else int(x) for x in s.split(",") if x]
    ci, ex, sg, sv = [v for v in L(ci) if not g(v)], [v for v in L(ex) if not g(v)], [v for v in L(sg) if not g(v)], [v for v in L(sv) if not g(v)]
    v = max(sv) if sv else int(ver.split(",")[0], 16)
    vc = {0x304:"13",0x303:"12",0x302:"11",0x301:"10"}.get(v, "00")
    a1 = alpn.split(",")[0] if alpn else ""
    ac = (a1[0] + a1[-1]) if a1 else "00"
    h = lambda s: hashlib.sha256(s.encode()).hexdigest()[:12]
    cs = ",".join("%04x" % c for c in sorted(ci))
    es = ",".join("%04x" % e for e in sorted(ex) if e not in (0, 0x10))
    ss = ",".join("%04x" % s for s in sg)
    print(sp, dp, "t%s%s%02d%02d%s_%s_%s" % (vc, "d" if 0 in ex else "i", min(len(ci),99), min(len(ex),99), ac, h(cs), h(es + ("_" + ss if ss else ""))))
