#!/usr/bin/env bash
# The same bucket on every node (docs/node-agent.md, "The same bucket on every node"), in
# network namespaces (root only): two nodes running the real rampart-node with
# `balancing: hash` and `hashScope: cluster`, two real rampart-firewall processes, pod A on
# node 1 and pod B on node 2, on an underlay bridge in its own namespace. Nothing in the
# root namespace is touched; every namespace is named so2-*-PID and removed at the end.
#
#   scripts/hashscope-e2e.sh .build/debug/rampart-firewall .build/debug/rampart-node
#   HASHSCOPE_BENCH=1 scripts/hashscope-e2e.sh ...   # also iperf3 A->B, node scope against cluster scope
#
# Checks, from captures of both nodes' rampart0 (after the egress rule: the frames carry
# their bucket MAC):
# 1. with one seed on both nodes, every session's four crossings (A->B and B->A on node 1
#    and on node 2) carry one bucket, and that bucket is jhash(tuple, seed) computed here in
#    Python: a function of the session and the seed only, so no per-boot key enters it;
# 2. the control: node 2 with another seed (what two boot keys amount to) puts most
#    sessions in another bucket than node 1, while each node's own two directions still
#    agree — so check 1 can fail.
set -u
FIREWALL=$(readlink -f "${1:?usage: hashscope-e2e.sh rampart-firewall rampart-node}")
AGENT=$(readlink -f "${2:?usage: hashscope-e2e.sh rampart-firewall rampart-node}")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for tool in ip nft tcpdump python3 bridge curl; do command -v $tool >/dev/null || { echo "SKIP: $tool missing (scripts/setup.sh)"; exit 77; }; done
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOL="python3 $HERE/lib/spread_sessions.py"
source "$HERE/lib/two-node-topology.sh"

two_nodes_begin so2 hashscope 10.202.0 2
SEED=1380011344          # 0x52414d50, the default

set -e
two_nodes_up

start_firewall() {  # index 0..1
    local i=$1 address=10.202.0.$((11 + $1)) k
    cat > $WORK/fw$i.yaml <<YAML
$(two_nodes_firewall_config $i)
---
$(two_nodes_policy hashscope tcp/8000)
YAML
    ip netns exec ${FWS[$i]} "$FIREWALL" --config $WORK/fw$i.yaml >> $WORK/fw$i.log 2>&1 &
    PID[fw$i]=$!
    for k in $(seq 100); do n ${FWS[$i]} curl -sf -o /dev/null http://$address:9681/healthz && return 0; sleep 0.1; done
    echo "firewall $i did not start"; cat $WORK/fw$i.log; return 1
}
echo '{"kind": "Secret", "data": {"token": "aGFzaHNjb3Bl"}}' > $WORK/credentials.json
start_agent() {  # node namespace, node number, seed [scope]
    cat > $WORK/node$2.yaml <<YAML
$(two_nodes_agent_config $2)
  hashScope: ${4:-cluster}
  hashSeed: $3
YAML
    ip netns exec $1 "$AGENT" run --config $WORK/node$2.yaml >> $WORK/node$2.log 2>&1 &
    PID[node$2]=$!
}
wait_rules() {  # node namespace, seed: the cluster rules with that seed, and 4096 buckets
    local k
    for k in $(seq 100); do
        if n $1 nft list chain inet rampart bucket 2>/dev/null | grep -q "seed $2 \|seed $(printf '0x%x' $2) " \
            && [ "$(owners $1 | wc -l)" = 4096 ] && [ "$(owners $1 | awk '{print $2}' | sort -u | wc -l)" = 2 ]; then return 0; fi
        sleep 0.1
    done
    return 1
}
sessions() {  # label, first source port: 300 sessions A->B:8000, both nodes' rampart0 captured
    local label=$1 first=$2
    n $N1 tcpdump -Uenni rampart0 -w $WORK/$label-n1.pcap 'tcp port 8000' > /dev/null 2>&1 &
    PID[cap1]=$!
    n $N2 tcpdump -Uenni rampart0 -w $WORK/$label-n2.pcap 'tcp port 8000' > /dev/null 2>&1 &
    PID[cap2]=$!
    sleep 1
    n $A $TOOL many 10.244.2.10 8000 300 $first > $WORK/$label-result.json
    sleep 0.5
    stop_process ${PID[cap1]}; unset "PID[cap1]"
    stop_process ${PID[cap2]}; unset "PID[cap2]"
    tcpdump -enr $WORK/$label-n1.pcap 2>/dev/null > $WORK/$label-n1.txt
    tcpdump -enr $WORK/$label-n2.pcap 2>/dev/null > $WORK/$label-n2.txt
}

for i in 0 1; do start_firewall $i; done
ip netns exec $B $TOOL serve 10.244.2.10 8000 > $WORK/server.log 2>&1 &
PID[server]=$!
start_agent $N1 1 $SEED
start_agent $N2 2 $SEED
set +e
wait_rules $N1 $SEED && wait_rules $N2 $SEED && pass "both nodes installed the cluster-scope rules and 4096 buckets" \
    || { fail "cluster-scope rules not installed"; tail -5 $WORK/node1.log $WORK/node2.log; n $N1 nft list ruleset | head -30; }
same_tables() {  # the tables may still be being written (one rtnetlink message per bucket)
    local k
    for k in $(seq 30); do [ "$(owners $N1)" = "$(owners $N2)" ] && return 0; sleep 0.1; done
    return 1
}
same_tables && pass "both nodes computed the same bucket table" || fail "the nodes' bucket tables differ"
for k in $(seq 50); do n $A bash -c 'exec 3<>/dev/tcp/10.244.2.10/8000' 2>/dev/null && break; sleep 0.2; done

sessions same 21000
sessions_ok() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ok"])' $WORK/$1-result.json 2>/dev/null; }
[ "$(sessions_ok same)" = 300 ] && pass "300 sessions through the firewalls" || fail "sessions failed: $(cat $WORK/same-result.json)"
python3 "$HERE/lib/bucket_agreement.py" same $WORK $SEED 4096 && pass "one bucket per session on both nodes, equal to jhash(tuple, seed)" \
    || fail "the nodes put sessions in different buckets"

# The control: node 2 with another seed (two boot keys, in effect).
stop_process ${PID[node2]}; unset "PID[node2]"
start_agent $N2 2 $((SEED + 1))
wait_rules $N2 $((SEED + 1)) && same_tables || fail "node 2 did not take its new seed"
sessions other 23000
python3 "$HERE/lib/bucket_agreement.py" other $WORK $SEED 4096 && pass "control: with two seeds the nodes disagree (each node's own directions still agree)" \
    || fail "control: two seeds did not make the nodes disagree"
n $N1 nft list chain inet rampart bucket | grep -c 'meta priority set jhash' | grep -q '^8$' && pass "8 cluster rules (tcp/udp/sctp and other, both directions, IPv4 and IPv6)" || fail "cluster rules missing"

# Optional: what the cluster scope costs, iperf3 through both firewalls, the scopes alternated.
if [ -n "${HASHSCOPE_BENCH:-}" ] && command -v iperf3 >/dev/null; then
    ip netns exec $B iperf3 -s -B 10.244.2.10 -p 8000 > $WORK/iperf.log 2>&1 &
    PID[iperf]=$!
    stop_process ${PID[server]}; unset "PID[server]"
    for round in 1 2; do
        for scope in node cluster; do
            for node in 1 2; do
                stop_process ${PID[node$node]}; unset "PID[node$node]"
                n $([ $node = 1 ] && echo $N1 || echo $N2) nft delete table netdev rampart 2>/dev/null
                n $([ $node = 1 ] && echo $N1 || echo $N2) nft delete table inet rampart 2>/dev/null
                start_agent $([ $node = 1 ] && echo $N1 || echo $N2) $node $SEED $scope
            done
            for k in $(seq 100); do
                n $N1 nft list chain netdev rampart spread 2>/dev/null | grep -q bucket_sessions && n $N2 nft list chain netdev rampart spread 2>/dev/null | grep -q bucket_sessions \
                    && [ "$(owners $N1 | awk '{print $2}' | sort -u | wc -l)" = 2 ] && [ "$(owners $N2 | awk '{print $2}' | sort -u | wc -l)" = 2 ] && break
                sleep 0.1
            done
            sleep 1
            bps=$(n $A iperf3 -c 10.244.2.10 -p 8000 -P 12 -t ${HASHSCOPE_SECONDS:-6} -J | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])')
            echo "BENCH: round $round, hashScope $scope, 2 firewalls, 12 streams: $(python3 -c "print(round($bps / 1e9, 2))") Gbit/s (load $(cut -d' ' -f1 /proc/loadavg))"
        done
    done
fi

[ $failures = 0 ] && echo "hashscope-e2e: all passed" || echo "hashscope-e2e: $failures failed"
exit $((failures > 0))
