#!/usr/bin/env bash
# Records real attack-shaped traffic for the signature matcher's tests (Tests/Captures/threats.pcap).
#
#   scripts/make-threat-capture.sh OUT
#
# Like make-captures.sh: a client namespace (rp-PID-tcli, 10.77.0.1) and a server namespace
# (rp-PID-tsrv, 10.77.0.2) joined by a veth pair created inside the client namespace, offloads
# off, tcpdump in the server namespace; both removed on exit, the root namespace untouched.
# Real programs from Debian, each doing one thing a rule in ThreatCaptureTests looks for:
#   1. curl --path-as-is GET /static/../%61dmin/%63onfig        (URI evasion: encoding, dot segments)
#   2. curl POST with a chunked body holding "union select"      (Transfer-Encoding: chunked)
#   3. curl GET /login then GET /admin on one connection          (flowbits across two requests)
#   4. curl GET /eicar.com, /eicar.gz, /eicar-chunked.gz           (the EICAR test file in a response:
#      plain, gzip-encoded, and gzip-encoded in two chunks)
#   5. python: "GET /../../et" then, 0.2 s later, "c/passwd ..."   (a pattern split between segments)
#   6. curl GET /probe three times on one connection              (threshold)
#   7. nmap -sV --script http-title -p 80                         (the Nmap Scripting Engine's user agent)
# Needs root and scripts/setup.sh (curl, python3, tcpdump, nmap).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/capture-pair.sh"

OUT=${1:?usage: make-threat-capture.sh OUT}
mkdir -p "$(dirname "$OUT")"
OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
capture_pair_begin t
capture_pair_link 10.77.0.1/24 10.77.0.2/24
wait_reachable 10.77.0.2

mkdir -p "$WORK/www/admin"
printf 'config\n' >"$WORK/www/admin/config"
printf 'login page\n' >"$WORK/www/login"
printf 'admin page\n' >"$WORK/www/admin/index.html"
printf 'nothing here\n' >"$WORK/www/probe"
# The EICAR test file (https://www.eicar.org), written here, never committed as a file.
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$WORK/www/eicar.com"
# Python's http.server, HTTP/1.1 so curl keeps the connection for the next request; POST
# answered 200 after reading the (chunked) body.
cat >"$WORK/server.py" <<'PY'
import http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path in ("/eicar.gz", "/eicar-chunked.gz"):
            import gzip
            with open(sys.argv[1] + "/eicar.com", "rb") as f:
                body = gzip.compress(f.read(), mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Encoding", "gzip")
            if self.path == "/eicar.gz":
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                half = len(body) // 2
                for part in (body[:half], body[half:], b""):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            return
        super().do_GET()
    def do_POST(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break
        else:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
http.server.ThreadingHTTPServer(("10.77.0.2", 80), lambda *a: Handler(*a, directory=sys.argv[1])).serve_forever()
PY
serve python3 "$WORK/server.py" "$WORK/www"
wait_port t 80

start_capture "$OUT"

CURL=(curl -sS -o /dev/null --max-time 5)
cli "${CURL[@]}" --path-as-is "http://10.77.0.2/static/../%61dmin/%63onfig"
printf 'id=1 union select password from users' >"$WORK/body"
cli "${CURL[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/body" http://10.77.0.2/search
cli "${CURL[@]}" http://10.77.0.2/login -o /dev/null http://10.77.0.2/admin/
cli "${CURL[@]}" http://10.77.0.2/eicar.com
cli "${CURL[@]}" http://10.77.0.2/eicar.gz
cli "${CURL[@]}" http://10.77.0.2/eicar-chunked.gz
cli python3 -c '
import socket, time
s = socket.create_connection(("10.77.0.2", 80))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"GET /../../et")
time.sleep(0.2)
s.sendall(b"c/passwd HTTP/1.1\r\nHost: 10.77.0.2\r\nConnection: close\r\n\r\n")
s.recv(4096)
s.close()'
cli "${CURL[@]}" http://10.77.0.2/probe -o /dev/null http://10.77.0.2/probe -o /dev/null http://10.77.0.2/probe
cli nmap -n -Pn -sV --script http-title -p 80 10.77.0.2 >/dev/null
stop_capture
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)"
