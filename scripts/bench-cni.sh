#!/usr/bin/env bash
# ADD latency of a CNI chain with and without rampart-cni (root only, network namespaces).
#
#   swift build -c release --product rampart-cni --scratch-path .build-cni-static -Xswiftc -static-executable
#   scripts/bench-cni.sh .build-cni-static/release/rampart-cni [PODS]      # default 100 pods
#
# (A fully static executable skips the dynamic loader: an empty call takes ~1.4 ms with
# fork and exec instead of ~2.9 ms with a statically linked Swift runtime only.)
# A node namespace with the tunnel device (as the node agent makes it), a stub agent
# (python, steers every pod), and PODS pod namespaces. For each pod the ptp+host-local ADD
# is timed, then rampart-cni's ADD with ptp's result as prevResult (what the chain adds),
# then both DELs. Prints p50/p99 in milliseconds of: the chain without rampart-cni,
# rampart-cni alone, and the chain with it. Each time includes fork/exec, as a runtime pays;
# timestamps come from bash's $EPOCHREALTIME, so no extra process is timed.
# Removes everything it made; the root namespace is never touched.
set -u
CNI=$(readlink -f "${1:?usage: bench-cni.sh path/to/rampart-cni [pods]}")
PODS=${2:-100}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for tool in ip jq python3; do command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }; done
PLUGINS=${CNI_PLUGINS:-/usr/lib/cni}
ID=$$
NODE=rb-node-$ID
WORK=$(mktemp -d /tmp/rampart-bench-cni.XXXXXX)
AGENTPID=""
PODNS=()

cleanup() {
    [ -n "$AGENTPID" ] && kill "$AGENTPID" 2>/dev/null && wait "$AGENTPID" 2>/dev/null
    for ns in "${PODNS[@]}" $NODE; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
n() { ip netns exec "$@"; }

ip netns add $NODE
n $NODE ip link set lo up
n $NODE sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
n $NODE ip link add nfw type veth peer name nfw-peer
n $NODE ip addr add 10.200.0.1/30 dev nfw
n $NODE ip link set nfw up
n $NODE ip link add rampart0 type vxlan id 7 dstport 6080 remote 10.200.0.2 local 10.200.0.1 dev nfw
n $NODE ip link set rampart0 up
n $NODE ip neigh replace 169.254.77.1 lladdr 02:00:00:00:77:01 dev rampart0 nud permanent
n $NODE ip rule add iif rampart0 lookup main pref 6001
n $NODE ip route add default via 169.254.77.1 dev rampart0 onlink table 6080 proto static

cat > $WORK/agent.py <<'PY'
import json, os, socket, sys
path = sys.argv[1]
server = socket.socket(socket.AF_UNIX); server.bind(path); server.listen(64)
while True:
    conn, _ = server.accept(); data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk: break
        data += chunk
    op = json.loads(data or b"{}").get("op")
    answer = {"steer": True, "reason": "bench"} if op == "decide" else {"ready": True, "reasons": []} if op == "status" else {"ok": True}
    try: conn.sendall((json.dumps(answer) + "\n").encode())
    except OSError: pass  # attach is a notice: the plugin does not wait for the answer
    conn.close()
PY
python3 $WORK/agent.py $WORK/agent.sock & AGENTPID=$!
for i in $(seq 50); do [ -S $WORK/agent.sock ] && break; sleep 0.05; done

cat > $WORK/ptp.json <<JSON
{"cniVersion":"1.0.0","name":"bench","type":"ptp","ipMasq":false,
 "ipam":{"type":"host-local","ranges":[[{"subnet":"10.245.0.0/16"}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":"$WORK/ipam"}}
JSON
RAMPART='{"cniVersion":"1.0.0","name":"bench","type":"rampart-cni","vni":7,"firewallEndpoints":["10.200.0.2"],"agentSocket":"'$WORK/agent.sock'","stateDir":"'$WORK/state'"}'

# The timed loop runs inside the node namespace (as plugins run in the host's).
cat > $WORK/loop.sh <<'LOOP'
for i in $(seq 1 $PODS); do
    ns=rb-pod-$ID-$i
    export CNI_CONTAINERID=bench$ID$i CNI_NETNS=/run/netns/$ns CNI_IFNAME=eth0 CNI_PATH=$PLUGINS
    export CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=pod-$i"
    t0=${EPOCHREALTIME/./}
    CNI_COMMAND=ADD $PLUGINS/ptp < $WORK/ptp.json > $WORK/result.json || { echo "ptp ADD failed: $(cat $WORK/result.json)" >&2; exit 1; }
    t1=${EPOCHREALTIME/./}
    jq -c --argjson prev "$(cat $WORK/result.json)" '. + {prevResult: $prev}' <<< "$RAMPART" > $WORK/rampart.json
    t2=${EPOCHREALTIME/./}
    CNI_COMMAND=ADD $CNI < $WORK/rampart.json > $WORK/out.json || { echo "rampart-cni ADD failed: $(cat $WORK/out.json)" >&2; exit 1; }
    t3=${EPOCHREALTIME/./}
    echo "$(( 10#$t1 - 10#$t0 )) $(( 10#$t3 - 10#$t2 ))" >> $WORK/times   # microseconds
    CNI_COMMAND=DEL $CNI < $WORK/rampart.json > /dev/null
    jq -c --argjson prev "$(cat $WORK/result.json)" '. + {prevResult: $prev}' $WORK/ptp.json | CNI_COMMAND=DEL $PLUGINS/ptp > /dev/null
done
LOOP

for i in $(seq 1 $PODS); do ip netns add rb-pod-$ID-$i; PODNS+=(rb-pod-$ID-$i); done
BEFORE=$(n $NODE sh -c 'ip rule; ip route show table all')
n $NODE env ID=$ID PODS=$PODS PLUGINS=$PLUGINS WORK=$WORK CNI=$CNI RAMPART="$RAMPART" bash $WORK/loop.sh || exit 1
AFTER=$(n $NODE sh -c 'ip rule; ip route show table all')
[ "$BEFORE" = "$AFTER" ] || echo "WARNING: the node's rules or routes differ after the run"

percentiles() {  # column -> "p50 p99" in ms
    awk -v c=$1 '{print $c}' $WORK/times | sort -n | awk '{v[NR]=$1} END {
        p50=v[int((NR-1)*0.50)+1]; p99=v[int((NR-1)*0.99)+1]; printf "p50 %6.2f ms   p99 %6.2f ms", p50/1000, p99/1000 }'
}
awk '{print $1 + $2}' $WORK/times > $WORK/sum && paste $WORK/times $WORK/sum > $WORK/all && mv $WORK/all $WORK/times
echo "CNI ADD latency over $PODS pods (fork/exec included):"
echo "  ptp+host-local              $(percentiles 1)"
echo "  rampart-cni (chained)       $(percentiles 2)"
echo "  chain with rampart-cni      $(percentiles 3)"
