#!/usr/bin/env bash
# Records a large capture of real traffic for Rampart's benchmarks (not committed).
#
#   scripts/make-bench-capture.sh OUT [FLOWS]
#
# FLOWS (default 30000) short HTTP connections to nginx (responses of 0.4 to 40 KB, on
# ports 80 and 8080), 10000 DNS queries to dnsmasq (each from its own UDP port), an iperf3
# TCP stream with a 536-byte MSS and an iperf3 UDP stream of 200-byte datagrams, all at
# once, recorded by tcpdump with a 256-byte snap length. About 1.1 million packets and
# ~40000 flows with the defaults, in about 20 seconds on 2 cores (the iperf3 streams
# run 15 s; the HTTP and DNS load finishes within them).
#
# Like make-captures.sh it works only inside two network namespaces it creates
# (rp-PID-bcli, rp-PID-bsrv) and removes on exit; the root namespace is not touched.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/capture-pair.sh"

OUT=${1:?usage: make-bench-capture.sh OUT [FLOWS]}
FLOWS=${2:-30000}
[[ $FLOWS =~ ^[1-9][0-9]*$ ]] || { echo "FLOWS must be a positive integer" >&2; exit 2; }
mkdir -p "$(dirname "$OUT")"
OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"

capture_pair_begin b
# Wire-sized packets (no TSO/GRO super-packets), and enough client ports for every flow.
capture_pair_link 10.78.0.1/24 10.78.0.2/24 tso gso gro
cli sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
cli sysctl -qw net.ipv4.tcp_tw_reuse=1
ip netns exec "$SRV" sysctl -qw net.core.somaxconn=4096
wait_reachable 10.78.0.2

mkdir -p "$WORK/www"
chmod 755 "$WORK"   # nginx workers run as nobody
for i in $(seq 1 100); do head -c $((i * 400)) /dev/zero | tr '\0' 'r' >"$WORK/www/f$i.bin"; done
cat >"$WORK/nginx.conf" <<NGINX
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 8192; }
http {
    access_log off;
    sendfile on;
    keepalive_timeout 0;
    server { listen 80 backlog=4096; listen 8080 backlog=4096; root $WORK/www; }
}
NGINX
serve nginx -c "$WORK/nginx.conf" -p "$WORK" -g 'daemon off;'
serve dnsmasq -k -C /dev/null -u root --no-resolv --no-hosts --bind-interfaces \
    --listen-address=10.78.0.2 --pid-file= --local=/bench.test/ --cache-size=10000 \
    --address=/svc.bench.test/10.78.0.2
serve iperf3 -s -p 5201
serve iperf3 -s -p 5202
wait_port t 80; wait_port t 8080; wait_port u 53; wait_port t 5201; wait_port t 5202

for i in $(seq 1 10000); do echo "q$i.svc.bench.test A"; done >"$WORK/queries.txt"

ip netns exec "$SRV" tcpdump -i veth1 -n -s 256 -B 131072 -Z root -w "$OUT" 2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
for _ in $(seq 1 100); do grep -qs "listening on" "$WORK/tcpdump.log" && break; sleep 0.05; done

started=$(date +%s)
half=$(( (FLOWS + 1) / 2 ))
per_file=$(( (half + 99) / 100 ))
jobs=()
# Connection: close makes curl open a new TCP connection for every URL of the glob.
for port in 80 8080; do
    cli curl -sS --no-progress-meter -Z --parallel-max 16 -H 'Connection: close' \
        "http://10.78.0.2:$port/f[1-100].bin?r=[1-$per_file]" >/dev/null 2>>"$WORK/curl.log" &
    jobs+=($!)
done
cli dig +tries=1 +time=1 @10.78.0.2 -f "$WORK/queries.txt" >/dev/null &
jobs+=($!)
cli iperf3 -c 10.78.0.2 -p 5201 -t 15 -M 536 -b 40M >/dev/null &
jobs+=($!)
cli iperf3 -c 10.78.0.2 -p 5202 -t 15 -u -l 200 -b 8M >/dev/null &
jobs+=($!)
failed=0
for job in "${jobs[@]}"; do wait "$job" || failed=$((failed + 1)); done
sleep 1.5    # the capture ring hands over its last block after its 1 s timeout
# INT lets tcpdump flush its buffer and print its counters; KILL if signals are blocked.
kill -INT "$TCPDUMP_PID" 2>/dev/null || true
for _ in $(seq 1 40); do kill -0 "$TCPDUMP_PID" 2>/dev/null || break; sleep 0.05; done
kill -KILL "$TCPDUMP_PID" 2>/dev/null || true
wait "$TCPDUMP_PID" 2>/dev/null || true
TCPDUMP_PID=
elapsed=$(( $(date +%s) - started ))

((failed == 0)) || echo "make-bench-capture: $failed traffic job(s) reported errors (capture kept)" >&2
grep -E "captured|dropped" "$WORK/tcpdump.log" | sed 's/^/tcpdump: /' >&2 || true
if command -v capinfos >/dev/null; then
    packets=$(capinfos -c -M "$OUT" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}')
else
    packets=$(tcpdump -r "$OUT" -n 2>/dev/null | wc -l)
fi
echo "wrote $OUT: $packets packets, $(stat -c %s "$OUT") bytes, traffic took ${elapsed}s"
