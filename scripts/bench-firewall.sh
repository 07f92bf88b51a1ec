#!/usr/bin/env bash
# Benchmarks rampart-firewall in one run, side by side with two baselines, in network
# namespaces this script creates (root only; the topology of scripts/firewall-e2e.sh):
#   reflector  a minimal C VXLAN reflector (Benchmarks/reflector/reflector.c: recvmmsg/
#              sendmmsg in batches of 32, inner MACs swapped, nothing else) in the
#              firewall's place;
#   firewall   rampart-firewall with an allow-all policy, --workers 1, UDP GRO/GSO off
#              (and firewall-gro: the same with spec.udpGRO and spec.udpGSO on);
#   unsteered  pod A -> pod B through the node without the steering rules (no tunnel).
# Each: TCP throughput (iperf3, 5 s), small-packet rate (iperf3 -u -l 64), ping RTT p50/p99.
#
#   swift build -c release --product rampart-firewall --scratch-path .build-fwbench
#   scripts/bench-firewall.sh .build-fwbench/release/rampart-firewall
#
# Environment: BENCH_TIME (iperf3 seconds, 5), BENCH_UDP_RATE (iperf3 -b, 2G), BENCH_ROUNDS
# (3: rounds of the three paths, alternating; the table shows medians),
# BENCH_CPU (core the reflector and the firewall are pinned to, 1; "" = no pinning),
# BENCH_POD_TX_CSUM (on|off, default off: see below), BENCH_EXTRA=1 adds rows with the pods'
# offloads on (TSO super-packets, which only the firewall can cut back to the MTU).
# BENCH_UDP_OFFLOAD (1 by default; 0 leaves it out) adds a column per round: the firewall
# with spec.udpGRO and spec.udpGSO on ("firewall-gro"); and the extra rows get one too.
# BENCH_VETH_GRO (on|off, default off): GRO on the firewall namespace's veth (fw0), which
# is what lets the kernel coalesce datagrams for a UDP_GRO socket at all (a veth does GRO
# only with it on, and only for packets from a peer without TSO: the node's nfw gets
# `tso off`, which also makes the node cut TSO super-packets before the tunnel, so the
# BENCH_EXTRA columns then carry MTU-sized datagrams). Applies to every path.
# BENCH_GRO / BENCH_GSO (true|false, default true) choose what the firewall-gro column turns on.
#
# The pods' veths hand packets over with unfinished (CHECKSUM_PARTIAL) TCP checksums and, with
# TSO, as 64 KB super-packets. The reflector completes no checksum and segments nothing, so
# TCP through it breaks; the main measurements therefore turn tx checksum offload off on the
# pods' eth0 (which also turns TSO off) for all three paths.
# Never touches the root namespace's interfaces; removes everything it made.
set -euo pipefail
FIREWALL=$(readlink -f "${1:-.build-fwbench/release/rampart-firewall}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 77; }
[ -x "$FIREWALL" ] || { echo "no firewall binary at $FIREWALL"; exit 1; }
for tool in ip iperf3 ping ethtool gcc python3 curl; do command -v $tool >/dev/null || { echo "$tool missing"; exit 1; }; done
TIME=${BENCH_TIME:-5}
UDP_RATE=${BENCH_UDP_RATE:-2G}
CPU=${BENCH_CPU-1}
ROUNDS=${BENCH_ROUNDS:-3}
POD_TX_CSUM=${BENCH_POD_TX_CSUM:-off}
UDP_OFFLOAD=${BENCH_UDP_OFFLOAD:-1}
VETH_GRO=${BENCH_VETH_GRO:-off}
PIN=""; [ -n "$CPU" ] && PIN="taskset -c $CPU"

ID=$$
NODE=rb-node-$ID; PODA=rb-poda-$ID; PODB=rb-podb-$ID; FW=rb-fw-$ID
WORK=$(mktemp -d /tmp/rampart-bench.XXXXXX)
REFLECTOR=$WORK/reflector
MIDPID=""; IPERFPID=""; DIED=""

cleanup() {
    [ "$BASHPID" = "$$" ] || exit 1   # a subshell caught the signal: the main shell cleans up
    set +e
    [ -n "$MIDPID" ] && kill "$MIDPID" 2>/dev/null && wait "$MIDPID" 2>/dev/null
    [ -n "$IPERFPID" ] && kill "$IPERFPID" 2>/dev/null && wait "$IPERFPID" 2>/dev/null
    for ns in $NODE $PODA $PODB $FW; do ip netns del $ns 2>/dev/null; done
    if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM
n() { ip netns exec "$@"; }
source "$HERE/scripts/lib/firewall-topology.sh"

gcc -O2 -o "$REFLECTOR" "$HERE/Benchmarks/reflector/reflector.c"

# --- Topology (as scripts/firewall-e2e.sh) -------------------------------------------------
firewall_topology_up
if [ "$VETH_GRO" = on ]; then
    n $FW ethtool -K fw0 gro on >/dev/null
    n $NODE ethtool -K nfw tso off >/dev/null
fi
pod_offloads() {  # on|off: tx checksum offload (and with it TSO) on the pods' eth0
    n $PODA ethtool -K eth0 tx "$1" >/dev/null 2>&1
    n $PODB ethtool -K eth0 tx "$1" >/dev/null 2>&1
}

cat > $WORK/firewall.yaml <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: bench}
spec:
  listen: 0.0.0.0:6080
  admin: 127.0.0.1:9680
  vnis: [7]
  tunnelSourceNetworks: [10.200.0.0/30]   # the node's tunnel address (no manager enrolls it here)
  events: $WORK/eve.json
  workers: 1
  udpGRO: false
  udpGSO: false
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: bench}
spec:
  zones:
    - {name: pods, networks: [10.244.1.0/24]}
  rules:
    - {name: allow-all, from: any, to: any, action: allow}
  defaults:
    intrazone: {action: allow}
    interzone: {action: allow}
YAML

sed "s/udpGRO: false/udpGRO: ${BENCH_GRO:-true}/; s/udpGSO: false/udpGSO: ${BENCH_GSO:-true}/" $WORK/firewall.yaml > $WORK/firewall-gro.yaml

start_reflector() {
    # ip netns exec (not the n function) so that $! is the program itself, not a subshell.
    ip netns exec $FW $PIN "$REFLECTOR" > $WORK/reflector.out 2>&1 &
    MIDPID=$!
    sleep 0.3
}
start_firewall() {  # $1 = configuration file (default: offloads off)
    ip netns exec $FW $PIN "$FIREWALL" --config "${1:-$WORK/firewall.yaml}" --workers 1 > $WORK/firewall.out 2> $WORK/firewall.err &
    MIDPID=$!
    for i in $(seq 100); do n $FW curl -s -o /dev/null http://127.0.0.1:9680/readyz && return 0; sleep 0.1; done
    echo "firewall did not become ready"; cat $WORK/firewall.err; exit 1
}
stop_middlebox() {  # $1 = name; a middlebox that died during the run is reported, not hidden
    [ -n "$MIDPID" ] || return 0
    local status=0
    if kill -0 "$MIDPID" 2>/dev/null; then
        kill -TERM "$MIDPID"; wait "$MIDPID" || status=$?
    else
        wait "$MIDPID" || status=$?
        echo "WARNING: $1 died during its measurement (exit status $status)"
        DIED="$DIED $1"
        tail -n 5 $WORK/firewall.err $WORK/reflector.out 2>/dev/null | sed 's/^/  /'
    fi
    MIDPID=""
}

ip netns exec $PODB iperf3 -s -B 10.244.1.20 > $WORK/iperf3-server.log 2>&1 &
IPERFPID=$!
sleep 0.5

declare -A TCP UDPPPS UDPLOSS P50 P99
measure() {  # $1 = column name; appends this round's figures, the table shows the medians
    local name=$1 tcp pps loss p50 p99
    n $PODA ping -c 3 -i 0.2 -W 1 10.244.1.20 >/dev/null || { echo "$name: pod A cannot reach pod B"; return 0; }
    n $PODA timeout $((TIME + 15)) iperf3 -c 10.244.1.20 --connect-timeout 3000 -t $TIME -J > $WORK/$name-tcp.json || true
    tcp=$(python3 -c 'import json,sys
try: print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e9))
except Exception: print("-")' $WORK/$name-tcp.json)
    sleep 0.5
    n $PODA timeout $((TIME + 15)) iperf3 -c 10.244.1.20 --connect-timeout 3000 -u -l 64 -b $UDP_RATE -t $TIME -J > $WORK/$name-udp.json || true
    read -r pps loss < <(python3 -c 'import json,sys
try:
    s = json.load(open(sys.argv[1]))["end"]["sum"]
    print("%d %.1f" % ((s["packets"] - s["lost_packets"]) / s["seconds"], 100.0 * s["lost_packets"] / max(s["packets"], 1)))
except Exception: print("- -")' $WORK/$name-udp.json)
    sleep 1  # let the flood's queues drain before timing
    n $PODA ping -c 200 -i 0.005 -W 1 10.244.1.20 > $WORK/$name-ping.txt || true
    read -r p50 p99 < <(python3 -c 'import re,sys
t = sorted(float(x) * 1000 for x in re.findall(r"time=([0-9.]+) ms", open(sys.argv[1]).read()))
if not t: print("- -"); sys.exit()
q = lambda p: t[min(len(t) - 1, int(round(p / 100.0 * (len(t) - 1))))]
print("%.0f %.0f" % (q(50), q(99)))' $WORK/$name-ping.txt)
    echo "$name: tcp $tcp Gbit/s, udp-64 $pps pkt/s received (loss $loss %), rtt p50 $p50 us p99 $p99 us"
    TCP[$name]="${TCP[$name]:-} $tcp"; UDPPPS[$name]="${UDPPPS[$name]:-} $pps"; UDPLOSS[$name]="${UDPLOSS[$name]:-} $loss"
    P50[$name]="${P50[$name]:-} $p50"; P99[$name]="${P99[$name]:-} $p99"
}

echo "firewall: $FIREWALL (--workers 1${CPU:+, pinned to CPU $CPU}); reflector: batch 32${CPU:+, pinned to CPU $CPU}; pods' tx checksum offload: $POD_TX_CSUM; fw0 GRO: $VETH_GRO"
METRICS='^rampart_(drops_total|datagrams_(received|sent)_total|frames_(forwarded|segmented)_total|checksums_completed_total|receive_batches_total|gro_|gso_)'
show_metrics() { n $FW curl -s http://127.0.0.1:9680/metrics | grep -E "$METRICS" | grep -v ' 0$' | sed 's/^/  /' || true; }
pod_offloads "$POD_TX_CSUM"
# Rounds alternate the three paths so that a burst of other load on the machine hits them alike.
for round in $(seq $ROUNDS); do
    echo "--- round $round of $ROUNDS"
    measure unsteered
    steer on
    start_reflector; measure reflector; stop_middlebox reflector
    sed 's/^/  /' $WORK/reflector.out
    start_firewall; measure firewall
    show_metrics
    stop_middlebox firewall
    if [ "$UDP_OFFLOAD" = 1 ]; then
        start_firewall $WORK/firewall-gro.yaml; measure firewall-gro
        show_metrics
        stop_middlebox firewall-gro
    fi
    steer off
done
if [ -n "${BENCH_EXTRA:-}" ]; then
    echo "--- pods' offloads on (TSO super-packets into the tunnel)"
    pod_offloads on
    steer on
    start_firewall; measure firewall-tso
    show_metrics
    stop_middlebox firewall-tso
    if [ "$UDP_OFFLOAD" = 1 ]; then
        start_firewall $WORK/firewall-gro.yaml; measure firewall-tso-gro
        show_metrics
        stop_middlebox firewall-tso-gro
    fi
    steer off
    measure unsteered-tso
fi

ratio() { python3 -c 'import sys
a, b = sys.argv[1], sys.argv[2]
print("-" if "-" in (a, b) or float(b) == 0 else "%.2fx" % (float(a) / float(b)))' "$1" "$2"; }
diff_us() { python3 -c 'import sys
a, b = sys.argv[1], sys.argv[2]
print("-" if "-" in (a, b) else "%+.0f" % (float(a) - float(b)))' "$1" "$2"; }

med() { python3 -c 'import sys
v = sorted(float(x) for x in sys.argv[1:] if x != "-")
if not v: print("-")
else:
    m = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    print(("%.2f" if m < 10 else "%.1f" if m < 100 else "%.0f") % m)' $1; }
for c in unsteered reflector firewall firewall-gro firewall-tso firewall-tso-gro unsteered-tso; do
    for a in TCP UDPPPS UDPLOSS P50 P99; do declare -n arr=$a; [ -n "${arr[$c]:-}" ] && arr[$c]=$(med "${arr[$c]}"); unset -n arr; done
done

echo
echo "medians of $ROUNDS round(s) (extra columns: one round)"
cols="unsteered reflector firewall"; [ "$UDP_OFFLOAD" = 1 ] && cols="$cols firewall-gro"
if [ -n "${BENCH_EXTRA:-}" ]; then
    cols="$cols firewall-tso"; [ "$UDP_OFFLOAD" = 1 ] && cols="$cols firewall-tso-gro"; cols="$cols unsteered-tso"
fi
printf '%-28s' ""; for c in $cols; do printf '%17s' "$c"; done; echo
printf '%-28s' "TCP Gbit/s"; for c in $cols; do printf '%17s' "${TCP[$c]:--}"; done; echo
printf '%-28s' "UDP 64 B received pkt/s"; for c in $cols; do printf '%17s' "${UDPPPS[$c]:--}"; done; echo
printf '%-28s' "UDP 64 B loss %"; for c in $cols; do printf '%17s' "${UDPLOSS[$c]:--}"; done; echo
printf '%-28s' "RTT p50 us"; for c in $cols; do printf '%17s' "${P50[$c]:--}"; done; echo
printf '%-28s' "RTT p99 us"; for c in $cols; do printf '%17s' "${P99[$c]:--}"; done; echo
echo
echo "firewall / reflector, TCP throughput:     $(ratio "${TCP[firewall]:--}" "${TCP[reflector]:--}")   (target >= 0.80x)"
echo "firewall / reflector, small-packet rate:  $(ratio "${UDPPPS[firewall]:--}" "${UDPPPS[reflector]:--}")   (target >= 0.80x)"
echo "firewall / unsteered, TCP throughput:     $(ratio "${TCP[firewall]:--}" "${TCP[unsteered]:--}")"
if [ "$UDP_OFFLOAD" = 1 ]; then
echo "firewall-gro / firewall, TCP throughput:  $(ratio "${TCP[firewall-gro]:--}" "${TCP[firewall]:--}")"
echo "firewall-gro / reflector, TCP throughput: $(ratio "${TCP[firewall-gro]:--}" "${TCP[reflector]:--}")"
echo "firewall-gro / unsteered, TCP throughput: $(ratio "${TCP[firewall-gro]:--}" "${TCP[unsteered]:--}")"
fi
echo "latency added over the reflector:         p50 $(diff_us "${P50[firewall]:--}" "${P50[reflector]:--}") us, p99 $(diff_us "${P99[firewall]:--}" "${P99[reflector]:--}") us   (target p99 <= 200 us)"
[ -z "$DIED" ] || echo "WARNING: died during the run:$DIED (see above)"
