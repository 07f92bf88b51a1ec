#!/usr/bin/env bash
# Records real traffic between real programs into small capture files for Rampart's tests.
#
#   scripts/make-captures.sh OUTDIR
#
# Two network namespaces (client rp-PID-cli, server rp-PID-srv) joined by a veth pair that
# is created inside the client namespace with its peer placed straight into the server
# namespace: the root namespace's interfaces are never touched. tcpdump runs in the server
# namespace. Offloads are turned off on the veths so the captures hold wire-sized packets
# with finished checksums, as a NIC would put them on the wire.
#
# Writes to OUTDIR: http.pcap dns.pcap tls.pcap icmp.pcap udp.pcap rst.pcap iperf.pcap
# fragments.pcap ipv6.pcap sll2.pcap (tcpdump -i any: Linux cooked v2), sample.pcap (all
# Ethernet captures merged) and sample.pcapng (sample.pcap converted by tshark).
# Needs root and scripts/setup.sh. SHOW_SERVER_LOG=1 prints the servers' log on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/capture-pair.sh"

OUT=${1:?usage: make-captures.sh OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

capture_pair_begin ""

# --- network -------------------------------------------------------------------------------
capture_pair_link 10.77.0.1/24 10.77.0.2/24
ip -n "$CLI" addr add fd00:77::1/64 dev veth0 nodad
ip -n "$SRV" addr add fd00:77::2/64 dev veth1 nodad
wait_reachable 10.77.0.2         # resolve neighbours before recording
wait_reachable -6 fd00:77::2

# --- servers -------------------------------------------------------------------------------
mkdir -p "$WORK/www"
printf '<!doctype html><title>Rampart</title><p>hello from python http.server</p>\n' >"$WORK/www/index.html"
printf 'plain text for the decoder tests\n' >"$WORK/www/hello.txt"
serve python3 -m http.server 80 --bind :: --directory "$WORK/www"

cat >"$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 256; }
http {
    access_log off;
    server {
        listen 8080; listen [::]:8080;
        location / { default_type text/plain; return 200 "hello from nginx\n"; }
    }
}
NGINX
serve nginx -c "$WORK/nginx.conf" -p "$WORK" -g 'daemon off;'

serve dnsmasq -k -C /dev/null -u root --no-resolv --no-hosts --bind-interfaces \
    --listen-address=10.77.0.2 --listen-address=fd00:77::2 --pid-file= \
    --local=/rampart.test/ --host-record=web.rampart.test,10.77.0.2,fd00:77::2 \
    --txt-record=rampart.test,"capture for tests" --mx-host=rampart.test,mail.rampart.test,10

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj /CN=web.rampart.test 2>/dev/null
serve openssl s_server -accept 443 -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet

serve iperf3 -s -p 5201
serve socat UDP6-RECVFROM:7777,ipv6only=0,fork EXEC:cat
serve python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", 9999))
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(data, peer)'

wait_port t 80; wait_port t 8080; wait_port t 443; wait_port t 5201; wait_port u 53
wait_port u 7777; wait_port u 9999

# --- scenarios -----------------------------------------------------------------------------
CURL=(curl -sS -o /dev/null --max-time 5)

start_capture "$WORK/http.pcap"
cli "${CURL[@]}" http://10.77.0.2/
cli "${CURL[@]}" -A "rampart-tests/1.0" http://10.77.0.2/hello.txt
cli "${CURL[@]}" http://10.77.0.2/missing          # 404
cli "${CURL[@]}" http://10.77.0.2:8080/            # nginx on a non-standard port
cli "${CURL[@]}" -H 'Host: web.rampart.test' http://10.77.0.2:8080/api/items?id=7
stop_capture

start_capture "$WORK/rst.pcap"
cli "${CURL[@]}" http://10.77.0.2:81/ 2>/dev/null || true      # closed port: SYN, RST
cli "${CURL[@]}" "http://[fd00:77::2]:81/" 2>/dev/null || true
stop_capture

start_capture "$WORK/dns.pcap"
cli dig +short +tries=1 @10.77.0.2 web.rampart.test A >/dev/null
cli dig +short +tries=1 @10.77.0.2 web.rampart.test AAAA >/dev/null
cli dig +short +tries=1 @10.77.0.2 rampart.test TXT >/dev/null
cli dig +short +tries=1 @10.77.0.2 rampart.test MX >/dev/null
cli dig +short +tries=1 @10.77.0.2 nothing.rampart.test A >/dev/null   # NXDOMAIN
cli dig +short +tries=1 +tcp @10.77.0.2 web.rampart.test A >/dev/null
stop_capture

start_capture "$WORK/tls.pcap"
cli "${CURL[@]}" -k --resolve web.rampart.test:443:10.77.0.2 https://web.rampart.test/
echo | cli openssl s_client -connect 10.77.0.2:443 -servername api.rampart.test -tls1_2 >/dev/null 2>&1 || true
stop_capture

start_capture "$WORK/icmp.pcap"
cli ping -c 3 -i 0.2 10.77.0.2 >/dev/null
cli ping -6 -c 3 -i 0.2 fd00:77::2 >/dev/null
stop_capture

start_capture "$WORK/udp.pcap"
echo "hello over udp" | cli socat -t 1 - UDP4:10.77.0.2:7777 >/dev/null
echo "hello over udp6" | cli socat -t 1 - "UDP6:[fd00:77::2]:7777" >/dev/null
stop_capture

start_capture "$WORK/fragments.pcap"
cli ping -c 2 -i 0.2 -s 3000 10.77.0.2 >/dev/null
cli ping -6 -c 2 -i 0.2 -s 3000 fd00:77::2 >/dev/null
cli python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(bytes(range(256)) * 16, ("10.77.0.2", 9999))   # 4096-byte datagram: 3 fragments
s.recvfrom(65535)'
stop_capture

start_capture "$WORK/ipv6.pcap"
cli "${CURL[@]}" "http://[fd00:77::2]/"
cli "${CURL[@]}" "http://[fd00:77::2]:8080/"
cli dig +short +tries=1 @fd00:77::2 web.rampart.test AAAA >/dev/null
cli ping -6 -c 2 -i 0.2 fd00:77::2 >/dev/null
stop_capture

start_capture "$WORK/iperf.pcap" 128
cli iperf3 -c 10.77.0.2 -p 5201 -t 1 -b 20M >/dev/null
stop_capture

# `-i any` records Linux cooked headers (SLL2, link type 276) instead of Ethernet.
start_capture "$WORK/sll2.pcap" 262144 any
cli ping -c 2 -i 0.2 10.77.0.2 >/dev/null
cli "${CURL[@]}" http://10.77.0.2:8080/
stop_capture

# --- results -------------------------------------------------------------------------------
FOCUSED=(http dns tls icmp udp rst fragments ipv6 iperf)
for name in "${FOCUSED[@]}" sll2; do cp "$WORK/$name.pcap" "$OUT/$name.pcap"; done
merge=(); for name in "${FOCUSED[@]}"; do merge+=("$WORK/$name.pcap"); done
mergecap -F pcap -w "$OUT/sample.pcap" "${merge[@]}"
tshark -r "$OUT/sample.pcap" -F pcapng -w "$OUT/sample.pcapng"

printf '%-18s %8s %10s\n' file packets bytes
for f in "$OUT"/*.pcap "$OUT"/sample.pcapng; do
    printf '%-18s %8s %10s\n' "$(basename "$f")" \
        "$(tcpdump -r "$f" -n 2>/dev/null | wc -l)" "$(stat -c %s "$f")"
done
