#!/usr/bin/env bash
# Compares Rampart's App-ID with tshark and nDPI (ndpiReader) on the labelled captures.
#
# For every flow of every labelled capture (Tests/Captures/appid/NAME.pcap + NAME.labels) it
# prints one Markdown row: the label, Rampart's app (`rampart inspect --quiet`, flow records'
# app_proto), tshark's protocol (the most frequent Protocol column of the stream other than
# TCP/UDP) and nDPI's protocol (`ndpiReader -v 2`, the per-flow `[proto: N/NAME]`), then the
# accuracy of each tool against the labels: exact, on standard and non-standard ports, and
# "carrier" (an AI API or gRPC flow named by its carrier protocol counts, see --help).
# Findings are in docs/appid-peers.md. Offline; the captures are only read.
#
#   scripts/appid-peers.sh [CAPTURE.pcap ...]     # default: Tests/Captures/appid/*.pcap
#   RAMPART=/path/to/rampart scripts/appid-peers.sh
#   scripts/appid-peers.sh --tsv                  # one tab-separated line per flow instead
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

Names are mapped to Rampart's (tshark HTTP, HTTP/JSON -> http; TLSv1.x, SSL -> ssl; PGSQL ->
postgresql; RESP -> redis; POP -> pop3; CLDAP -> ldap; MEMCACHE -> memcached; nDPI TLS -> ssl;
PostgreSQL -> postgresql; ...); unmapped names are lower-cased; "-" means the tool named
nothing beyond TCP/UDP (tshark) or Unknown (nDPI).
Standard ports: the IANA port or the product's default for the label (see STANDARD below).
Carrier: the protocol the first client payload of the flow starts with (TLS record -> ssl,
"PRI * HTTP/2.0" -> http2, an HTTP method -> http).
EOF
    exit 0
fi

format=markdown
if [[ "${1:-}" == "--tsv" ]]; then format=tsv; shift; fi

# The rampart compared: $RAMPART, else the one on PATH, else this tree's debug build.
rampart=${RAMPART:-$(command -v rampart || echo .build/debug/rampart)}
for tool in "$rampart" tshark ndpiReader python3; do
    command -v "$tool" >/dev/null || { echo "appid-peers: $tool not found" >&2; exit 1; }
done

if [[ $# -gt 0 ]]; then captures=("$@"); else captures=(Tests/Captures/appid/*.pcap); fi

raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT

# Raw outputs first (one file per tool and capture), parsed together below.
for pcap in "${captures[@]}"; do
    name=$(basename "$pcap" .pcap)
    labels="${pcap%.pcap}.labels"
    [[ -r "$labels" ]] || { echo "appid-peers: no $labels, skipping $pcap" >&2; continue; }
    cp "$labels" "$raw/$name.labels"
    "$rampart" inspect "$pcap" --quiet >"$raw/$name.rampart" 2>"$raw/$name.rampart.err"
    # ICMP errors quote a UDP/TCP header: keep them out of the streams.
    tshark -n -r "$pcap" -Y 'not icmp and not icmpv6' -T fields -E separator=/t -E occurrence=f \
        -e tcp.stream -e udp.stream -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
        -e tcp.payload -e udp.payload -e _ws.col.Protocol \
        >"$raw/$name.tshark" 2>"$raw/$name.tshark.err"
    ndpiReader -i "$pcap" -v 2 >"$raw/$name.ndpi" 2>"$raw/$name.ndpi.err"
done

tshark_version=$(tshark --version 2>/dev/null | head -1)
ndpi_version=$(ndpiReader -h 2>/dev/null | sed -n 's/^Welcome to nDPI \([^ ]*\).*/\1/p' | head -1)

python3 - "$raw" "$format" "$tshark_version" "nDPI ${ndpi_version:-?}" <<'PY'
import collections, json, os, re, sys

raw, fmt, tshark_version, ndpi_version = sys.argv[1:5]

TSHARK = {
    "HTTP": "http", "HTTP/JSON": "http", "HTTP/XML": "http", "SSDP": "ssdp",
    "TLSv1": "ssl", "TLSv1.1": "ssl", "TLSv1.2": "ssl", "TLSv1.3": "ssl", "SSL": "ssl",
    "SSLv2": "ssl", "SSLv3": "ssl", "HTTP2": "http2", "GRPC": "grpc",
    "PGSQL": "postgresql", "MySQL": "mysql", "RESP": "redis", "MONGO": "mongodb",
    "Kafka": "kafka", "MQTT": "mqtt", "AMQP": "amqp", "SMTP": "smtp", "SMTP/IMF": "smtp",
    "IMAP": "imap", "POP": "pop3", "POP/IMF": "pop3", "LDAP": "ldap", "CLDAP": "ldap",
    "NTP": "ntp", "MEMCACHE": "memcached", "DNS": "dns", "MDNS": "mdns",
    "SSH": "ssh", "SSHv2": "ssh", "SSHv1": "ssh",
}
NDPI = {
    "HTTP": "http", "TLS": "ssl", "HTTP2": "http2", "PostgreSQL": "postgresql",
    "MySQL": "mysql", "Redis": "redis", "MongoDB": "mongodb", "Kafka": "kafka", "MQTT": "mqtt",
    "AMQP": "amqp", "SMTP": "smtp", "IMAP": "imap", "POP3": "pop3", "LDAP": "ldap",
    "NTP": "ntp", "Memcached": "memcached", "DNS": "dns", "SSH": "ssh",
    # nDPI's names for the same protocol over TLS: kept apart, as the flow's bytes differ.
    "IMAPS": "imaps", "POPS": "pop3s", "SMTPS": "smtps",
}
IGNORED_TSHARK = {"TCP", "UDP", "Data", "IPv4", "IPv6", "ICMP", "ICMPv6", "ARP"}
# The IANA port, or the product's default, of each label; an app absent here has none.
STANDARD = {
    "http": {80}, "ssl": {443}, "http2": {80, 443}, "grpc": {50051}, "ssh": {22},
    "mysql": {3306}, "postgresql": {5432}, "redis": {6379}, "dns": {53}, "smtp": {25},
    "imap": {143}, "pop3": {110}, "mqtt": {1883}, "kafka": {9092}, "mongodb": {27017},
    "amqp": {5672}, "memcached": {11211}, "ldap": {389}, "ntp": {123},
    "openai-api": {443}, "anthropic-api": {443}, "ollama": {11434}, "kubernetes-api": {6443},
}
# Applications carried inside another protocol: naming the carrier is half an answer.
CARRIED = {"openai-api", "anthropic-api", "ollama", "mcp", "kubernetes-api", "grpc"}
HTTP_METHODS = [m.encode() for m in ("GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "PATCH ", "OPTIONS ")]


def carrier_of(payload_hex):
    try:
        b = bytes.fromhex(payload_hex.replace(":", ""))
    except ValueError:
        return ""
    if len(b) >= 3 and b[0] == 0x16 and b[1] == 0x03:
        return "ssl"
    if b.startswith(b"PRI * HTTP/2.0"):
        return "http2"
    if any(b.startswith(m) for m in HTTP_METHODS):
        return "http"
    return ""


def map_ndpi(name):
    if name == "Unknown":
        return "-"
    if name in NDPI:
        return NDPI[name]
    if "." in name:  # MASTER.APP, e.g. TLS.Google
        master, app = name.split(".", 1)
        return NDPI.get(app) or NDPI.get(master) or name.lower()
    return name.lower()


rows = []
for fname in sorted(os.listdir(raw)):
    if not fname.endswith(".labels"):
        continue
    cap = fname[: -len(".labels")]
    labels = {}
    for line in open(os.path.join(raw, fname)):
        parts = line.split()
        if len(parts) == 3:
            labels[(parts[0], int(parts[1]))] = parts[2]

    def server_side(proto, a, b, default_b=True):
        """(server, client) of ports a, b: the labelled one is the server."""
        la, lb = (proto, a) in labels, (proto, b) in labels
        if la and not lb:
            return a, b
        if lb and not la:
            return b, a
        return (b, a) if default_b else (a, b)

    flows = collections.OrderedDict()  # (proto, sport, cport) -> dict

    def flow(proto, sport, cport):
        return flows.setdefault((proto, sport, cport), {})

    for line in open(os.path.join(raw, cap + ".rampart")):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("event_type") != "flow":
            continue
        proto = r.get("proto", "").lower()
        s, c = server_side(proto, r.get("dest_port"), r.get("src_port"), default_b=False)
        flow(proto, s, c)["rampart"] = r.get("app_proto") or "-"

    streams = collections.OrderedDict()
    for line in open(os.path.join(raw, cap + ".tshark")):
        f = line.rstrip("\n").split("\t")
        if len(f) < 9:
            continue
        ts, us, tsp, tdp, usp, udp, tpay, upay, col = f[:9]
        if ts:
            key, proto, sp, dp, pay = ("tcp", ts), "tcp", tsp, tdp, tpay
        elif us:
            key, proto, sp, dp, pay = ("udp", us), "udp", usp, udp, upay
        else:
            continue
        st = streams.get(key)
        if st is None:  # the first packet goes client -> server (a SYN, or a UDP request)
            s, c = server_side(proto, int(dp), int(sp))
            st = streams[key] = {"proto": proto, "s": s, "c": c, "cols": collections.Counter(), "pay": ""}
        if col not in IGNORED_TSHARK:
            st["cols"][col] += 1
        if pay and not st["pay"] and int(dp) == st["s"]:
            st["pay"] = pay
    for st in streams.values():
        mapped = collections.Counter()
        for col, n in st["cols"].items():
            mapped[TSHARK.get(col, col.lower())] += n
        best = mapped.most_common(1)[0][0] if mapped else "-"
        rawname = ",".join(c for c, _ in st["cols"].most_common()) or "-"
        fl = flow(st["proto"], st["s"], st["c"])
        fl["tshark"], fl["tshark_raw"], fl["carrier"] = best, rawname, carrier_of(st["pay"])

    pat = re.compile(r"^\s+\d+\s+(TCP|UDP)\s+(\S+):(\d+) <-> (\S+):(\d+) \[proto: [\d.]+/([^\]]+)\]"
                     r"(?:.*?\[Confidence: ([^\]]+)\])?")
    for line in open(os.path.join(raw, cap + ".ndpi"), errors="replace"):
        m = pat.match(line)
        if not m:
            continue
        proto = m.group(1).lower()
        s, c = server_side(proto, int(m.group(5)), int(m.group(3)))
        fl = flow(proto, s, c)
        fl["ndpi"], fl["ndpi_raw"], fl["ndpi_conf"] = map_ndpi(m.group(6)), m.group(6), m.group(7) or ""

    for (proto, s, c), fl in flows.items():
        label = labels.get((proto, s))
        if label is None:
            continue  # not a labelled server port (e.g. a stray packet)
        rows.append(dict(cap=cap, proto=proto, s=s, c=c, label=label,
                         rampart=fl.get("rampart", "(none)"), tshark=fl.get("tshark", "(none)"),
                         tshark_raw=fl.get("tshark_raw", ""), ndpi=fl.get("ndpi", "(none)"),
                         ndpi_raw=fl.get("ndpi_raw", ""), ndpi_conf=fl.get("ndpi_conf", ""),
                         carrier=fl.get("carrier", ""),
                         standard=s in STANDARD.get(label, set())))

TOOLS = ("rampart", "tshark", "ndpi")


def right(r, tool, carrier_ok=False):
    got = r[tool]
    if got == r["label"]:
        return True
    return carrier_ok and r["label"] in CARRIED and r["carrier"] != "" and got == r["carrier"]


if fmt == "tsv":
    print("\t".join(["capture", "proto", "server_port", "client_port", "label", "rampart",
                     "tshark", "tshark_columns", "ndpi", "ndpi_name", "ndpi_confidence",
                     "carrier", "standard_port"]))
    for r in rows:
        print("\t".join(str(x) for x in (r["cap"], r["proto"], r["s"], r["c"], r["label"],
                                         r["rampart"], r["tshark"], r["tshark_raw"], r["ndpi"],
                                         r["ndpi_raw"], r["ndpi_conf"], r["carrier"],
                                         "yes" if r["standard"] else "no")))
    sys.exit(0)

print(f"Peers: {tshark_version}; {ndpi_version}.\n")
print("| capture | proto | server port | client port | label | Rampart | tshark | nDPI | agree |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    ts = r["tshark"] if r["tshark_raw"] in ("", "-") else f'{r["tshark"]} ({r["tshark_raw"]})'
    nd = f'{r["ndpi"]} ({r["ndpi_raw"]}{", by port" if r["ndpi_conf"] == "Match by port" else ""})' \
        if r["ndpi_raw"] else r["ndpi"]
    wrong = [t for t in TOOLS if not right(r, t)]
    agree = "all" if not wrong else "not " + ", ".join(wrong)
    print(f'| {r["cap"]} | {r["proto"]} | {r["s"]} | {r["c"]} | {r["label"]} | {r["rampart"]} | {ts} | {nd} | {agree} |')


def pct(n, d):
    return f"{n}/{d} ({100.0 * n / d:.1f}%)" if d else "0/0"


print()
print("| tool | exact, all flows | standard ports | non-standard ports | exact or carrier |")
print("|---|---|---|---|---|")
std = [r for r in rows if r["standard"]]
non = [r for r in rows if not r["standard"]]
for t, name in zip(TOOLS, ("Rampart", "tshark", "nDPI")):
    print(f"| {name} | {pct(sum(right(r, t) for r in rows), len(rows))} "
          f"| {pct(sum(right(r, t) for r in std), len(std))} "
          f"| {pct(sum(right(r, t) for r in non), len(non))} "
          f"| {pct(sum(right(r, t, True) for r in rows), len(rows))} |")
print(f"\n{len(rows)} flows in {len({r['cap'] for r in rows})} captures; "
      f"{len(std)} on standard ports, {len(non)} on non-standard ports.")
PY
