#!/usr/bin/env bash
# Records two captures of the same downloads for `rampart bench engine` (not committed):
# OUT-http1.pcap with curl over HTTP/1.1 from python's http.server, and OUT-h2c.pcap with
# curl --http2-prior-knowledge from Tests/AIServers/h2c_server.py: COUNT downloads of a
# 64 KiB file in each (default 200), one connection each.
#
#   scripts/make-h2-bench-capture.sh /tmp/rampart-h2 [COUNT]
#
# Works only inside two network namespaces it creates (h2b-PID-cli, h2b-PID-srv; the veth
# pair made inside the client's) and removes on exit; the root namespace is not touched.
set -euo pipefail
OUT=${1:?usage: make-h2-bench-capture.sh OUT [COUNT]}
COUNT=${2:-200}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLI=h2b-$$-cli; SRV=h2b-$$-srv
WORK=$(mktemp -d /tmp/h2b.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    ip netns del $CLI 2>/dev/null || true
    ip netns del $SRV 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add $CLI
ip netns add $SRV
ip -n $CLI link add veth0 type veth peer name veth1 netns $SRV
ip -n $CLI addr add 10.79.0.1/24 dev veth0
ip -n $SRV addr add 10.79.0.2/24 dev veth1
ip -n $CLI link set veth0 up
ip -n $SRV link set veth1 up
ip netns exec $CLI ethtool -K veth0 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
ip netns exec $SRV ethtool -K veth1 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
mkdir -p $WORK/www
head -c 65536 /dev/urandom > $WORK/www/file.bin
(cd $WORK/www && exec ip netns exec $SRV python3 -m http.server 8001 --bind 10.79.0.2 > $WORK/http.log 2>&1) &
PIDS+=($!)
ip netns exec $SRV python3 "$ROOT/Tests/AIServers/h2c_server.py" 10.79.0.2 8000 $WORK/www $WORK/requests.log > $WORK/h2.log 2>&1 &
PIDS+=($!)
for i in $(seq 50); do
    ip netns exec $CLI bash -c 'exec 3<>/dev/tcp/10.79.0.2/8000 && exec 4<>/dev/tcp/10.79.0.2/8001' 2>/dev/null && break
    sleep 0.2
done
record() {  # NAME PORT CURL-FLAGS
    local i
    ip netns exec $CLI tcpdump -i veth0 -s 0 -U -w "$OUT-$1.pcap" "tcp port $2" 2>/dev/null &
    local dump=$!
    sleep 1
    for i in $(seq $COUNT); do ip netns exec $CLI curl -s $3 -o /dev/null "http://10.79.0.2:$2/file.bin?n=$i"; done
    sleep 1
    kill -INT $dump; wait $dump || true
    echo "$OUT-$1.pcap: $(stat -c %s "$OUT-$1.pcap") bytes"
}
record http1 8001 --http1.1
record h2c 8000 --http2-prior-knowledge
