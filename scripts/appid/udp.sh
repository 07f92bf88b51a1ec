#!/usr/bin/env bash
# App-ID capture: NTP, memcached and LDAP (TCP and connectionless UDP).
# - NTP: no NTP daemon is installed (only ntpsec-ntpdate), so a short Python server answers
#   mode-4 replies on 123 and 1123; ntpdig (the real client) queries 123 and a Python
#   client with the same 48-byte mode-3 request queries 1123 (ntpdig has no port option).
#   Nothing touches the clock: ntpdig only reports the offset.
# - memcached on 11211 and 21211 (TCP and UDP), text commands over TCP via socat and over
#   UDP with the 8-byte frame header via Python, and one binary-protocol request.
# - LDAP: slapd with a minimal back-mdb config in $WORK on 389 and 1389, ldapsearch and
#   ldapwhoami (simple bind); CLDAP: a Python client sends the rootDSE search that Active
#   Directory's "LDAP ping" uses over UDP 389 and 1389; Debian's slapd is built without
#   cldap://, so a Python listener answers it with an empty SearchResultDone (success).
#   scripts/appid/udp.sh OUTDIR
source "$(dirname "$0")/lib.sh"
appid_begin udp "${1:?usage: $0 OUTDIR}"

cat >"$WORK/ntpd.py" <<'PY'
import socket, struct, sys, time, threading
def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", port))
    while True:
        data, peer = s.recvfrom(512)
        if len(data) < 48: continue
        vn = (data[0] >> 3) & 7
        now = time.time() + 2208988800
        ts = struct.pack("!II", int(now), int((now % 1) * 2**32))
        reply = bytes([(0 << 6) | (vn << 3) | 4, 2, data[2], 0xE9]) + struct.pack("!II", 0x100, 0x200) \
            + socket.inet_aton("10.88.0.250") + ts + data[40:48] + ts + ts
        s.sendto(reply, peer)
for p in (123, 1123): threading.Thread(target=serve, args=(p,), daemon=True).start()
threading.Event().wait()
PY
cat >"$WORK/ntpclient.py" <<'PY'
import socket, struct, sys, time
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
now = time.time() + 2208988800
req = bytes([(0 << 6) | (4 << 3) | 3, 0, 6, 0xEC]) + bytes(36) + struct.pack("!II", int(now), int((now % 1) * 2**32))
s.sendto(req, (host, port)); s.recvfrom(512)
PY
cat >"$WORK/mcudp.py" <<'PY'
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
for i, cmd in enumerate([b"set k1 0 60 5\r\nhello\r\n", b"get k1\r\n", b"version\r\n"]):
    s.sendto(struct.pack("!HHHH", i + 1, 0, 1, 0) + cmd, (host, port))
    try: s.recvfrom(2048)
    except socket.timeout: pass
PY
cat >"$WORK/cldap.py" <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
def tlv(tag, body): return bytes([tag, len(body)]) + body
# SearchRequest: base "", scope base, no deref, sizelimit 0, timelimit 0, typesOnly false,
# filter (objectClass=*) as present, attributes [namingContexts, supportedLDAPVersion].
search = tlv(0x63, tlv(0x04, b"") + tlv(0x0A, b"\x00") + tlv(0x0A, b"\x00") + tlv(0x02, b"\x00")
             + tlv(0x02, b"\x00") + tlv(0x01, b"\x00") + tlv(0x87, b"objectClass")
             + tlv(0x30, tlv(0x04, b"namingContexts") + tlv(0x04, b"supportedLDAPVersion")))
msg = tlv(0x30, tlv(0x02, b"\x07") + search)
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.sendto(msg, (host, port))
try: s.recvfrom(4096)
except socket.timeout: pass
PY
cat >"$WORK/cldapd.py" <<'PY'
import socket, threading
def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", port))
    while True:
        data, peer = s.recvfrom(4096)
        # Echo the request's messageID (assumed one byte, as our client sends) in a
        # SearchResultDone { resultCode success, matchedDN "", diagnosticMessage "" }.
        if len(data) > 5 and data[0] == 0x30 and data[2] == 0x02 and data[3] == 1:
            s.sendto(bytes([0x30, 0x0C, 0x02, 0x01, data[4], 0x65, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]), peer)
for p in (389, 1389): threading.Thread(target=serve, args=(p,), daemon=True).start()
threading.Event().wait()
PY
mkdir -p "$WORK/ldapdb"
cat >"$WORK/slapd.conf" <<SLAPD
include /etc/ldap/schema/core.schema
pidfile $WORK/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "dc=rampart,dc=test"
rootdn "cn=admin,dc=rampart,dc=test"
rootpw secret
directory $WORK/ldapdb
SLAPD

serve python3 "$WORK/ntpd.py"
serve python3 "$WORK/cldapd.py"
serve memcached -u root -l "$SRV4,[$SRV6]" -p 11211 -U 11211
serve memcached -u root -l "$SRV4,[$SRV6]" -p 21211 -U 21211
serve slapd -d 0 -u root -f "$WORK/slapd.conf" -h "ldap://$SRV4:389/ ldap://$SRV4:1389/ ldap://[$SRV6]:389/"
wait_port u 123; wait_port u 1123; wait_port t 11211; wait_port u 11211; wait_port t 21211; wait_port u 21211
wait_port t 389; wait_port t 1389
capture_start
label udp 123 ntp
label udp 1123 ntp
label tcp 11211 memcached
label udp 11211 memcached
label tcp 21211 memcached
label udp 21211 memcached
label tcp 389 ldap
label tcp 1389 ldap
label udp 389 ldap
label udp 1389 ldap

cli timeout 5 ntpdig -t 2 "$SRV4" >/dev/null 2>&1 || true
cli python3 "$WORK/ntpclient.py" "$SRV4" 1123 || true
cli python3 "$WORK/ntpclient.py" "$SRV6" 123 || true

mc() { printf "$2" | cli timeout 3 socat -t 1 - "TCP:$1" >/dev/null || true; }
mc "$SRV4:11211" 'set greeting 0 60 5\r\nhello\r\nget greeting\r\nquit\r\n'
mc "$SRV4:11211" 'stats\r\nquit\r\n'
mc "[$SRV6]:21211" 'version\r\nget a b c\r\nquit\r\n'
mc "$SRV4:21211" 'incr counter 1\r\nadd counter 0 0 1\r\n1\r\nquit\r\n'
# Binary protocol: a GET (opcode 0) for key "k", then a QUIT (opcode 7).
mc "$SRV4:11211" '\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00\x00k\x80\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
cli python3 "$WORK/mcudp.py" "$SRV4" 11211 || true
cli python3 "$WORK/mcudp.py" "$SRV6" 21211 || true

cli ldapsearch -x -H "ldap://$SRV4:389" -b "" -s base namingContexts >/dev/null 2>&1 || true
cli ldapwhoami -x -H "ldap://$SRV4:1389" -D "cn=admin,dc=rampart,dc=test" -w secret >/dev/null 2>&1 || true
cli ldapsearch -x -H "ldap://[$SRV6]:389" -D "cn=admin,dc=rampart,dc=test" -w secret -b "dc=rampart,dc=test" "(cn=nobody)" >/dev/null 2>&1 || true
cli python3 "$WORK/cldap.py" "$SRV4" 389 || true
cli python3 "$WORK/cldap.py" "$SRV4" 1389 || true
capture_stop
