#!/usr/bin/env bash
# Records Tests/Captures/dns-security.pcap for the DNS security engine tests
# (Tests/RampartInspectTests/DNSSecurityEngineTests.swift): real dig queries to dnsmasq over
# UDP and TCP (a clean name, a name to block, a name to sinkhole with A and AAAA answers, a
# generated name) and a short iodine tunnel (handshake, then three pings through it), between
# two network namespaces joined by a veth. Root only; the root namespace is never touched.
#
#   scripts/make-dns-security-capture.sh [OUT]   # default Tests/Captures/dns-security.pcap
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin
OUT=$(readlink -f "${1:-$(dirname "$0")/../Tests/Captures/dns-security.pcap}")
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 1; }
for tool in ip tcpdump dig dnsmasq iodine iodined ethtool; do
    command -v $tool >/dev/null || { echo "$tool missing (scripts/setup.sh)"; exit 1; }
done
CLI=rpdc-cli-$$; SRV=rpdc-srv-$$
WORK=$(mktemp -d /tmp/rampart-dns-capture.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    ip netns del $CLI 2>/dev/null || true
    ip netns del $SRV 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
cli() { ip netns exec $CLI "$@"; }
srv() { ip netns exec $SRV "$@"; }

ip netns add $CLI; ip netns add $SRV
srv ip link add veth0 type veth peer name veth1
srv ip link set veth0 netns $CLI
cli ip addr add 10.78.0.1/24 dev veth0; srv ip addr add 10.78.0.2/24 dev veth1
for ns in $CLI $SRV; do ip netns exec $ns ip link set lo up; ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
cli ip link set veth0 up; srv ip link set veth1 up
# Wire-sized packets with finished checksums, as the firewall would see them from a node.
cli ethtool -K veth0 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
srv ethtool -K veth1 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true

srv dnsmasq -k --conf-file=/dev/null --user=root --no-resolv --no-hosts --bind-interfaces \
    --listen-address=10.78.0.2 --port=53 --pid-file= \
    --host-record=web.example.test,203.0.113.10 --host-record=malware-c2.test,203.0.113.7,2001:db8::7 \
    --host-record=login-phish.test,203.0.113.8 --host-record=xjwqkzpvbnrtqh.com,203.0.113.9 \
    --server=/t.tunnel.test/127.0.0.1#5353 > $WORK/dnsmasq.log 2>&1 &
PIDS+=($!)
srv iodined -f -c -P capture -l 127.0.0.1 -p 5353 10.98.0.1 t.tunnel.test > $WORK/iodined.log 2>&1 &
PIDS+=($!)
srv tcpdump -i veth1 --immediate-mode -n -U -Z root -s 262144 -w "$WORK/dns.pcap" 'port 53' 2> $WORK/tcpdump.log &
TCPDUMP=$!
sleep 1
cli dig +time=2 +tries=1 @10.78.0.2 web.example.test > /dev/null
cli dig +time=2 +tries=1 @10.78.0.2 login-phish.test > /dev/null
cli dig +time=2 +tries=1 @10.78.0.2 malware-c2.test > /dev/null
cli dig +time=2 +tries=1 @10.78.0.2 AAAA malware-c2.test > /dev/null
cli dig +time=2 +tries=1 @10.78.0.2 xjwqkzpvbnrtqh.com > /dev/null
cli dig +tcp +time=2 +tries=1 @10.78.0.2 malware-c2.test > /dev/null
cli dig +tcp +time=2 +tries=1 @10.78.0.2 login-phish.test > /dev/null
timeout 30 ip netns exec $CLI iodine -f -r -P capture 10.78.0.2 t.tunnel.test > $WORK/iodine.log 2>&1 &
IODINE=$!
PIDS+=($IODINE)
for i in $(seq 40); do cli ping -c 1 -W 1 10.98.0.1 > /dev/null 2>&1 && break; sleep 0.5; done
cli ping -c 3 -i 0.2 10.98.0.1 > /dev/null
kill $IODINE; wait $IODINE 2>/dev/null || true
sleep 0.5
kill $TCPDUMP; wait $TCPDUMP 2>/dev/null || true
cp "$WORK/dns.pcap" "$OUT"
echo "$OUT: $(tcpdump -r "$OUT" -n 2>/dev/null | wc -l) packets, $(stat -c %s "$OUT") bytes"
