#!/usr/bin/env bash
# Several firewalls for one cluster (docs/node-agent.md "Several firewalls"), in network
# namespaces (root only): two nodes running the real rampart-node (balancing: hash), three
# real rampart-firewall processes, pod A on node 1 and pod B on node 2, all on an underlay
# bridge inside its own namespace. Nothing in the root namespace is touched.
#
#   scripts/scaleout-e2e.sh .build/debug/rampart-firewall .build/debug/rampart-node
#   SCALEOUT_BENCH=1 scripts/scaleout-e2e.sh ...   # also iperf3 through 1, 2 and 3 firewalls
#
# Checks: 3,000 sessions A->B spread over the firewalls within 10 % of even (counted from
# each firewall's own capture of the inner SYNs); a firewall killed during 24 downloads:
# every download finishes, connections to a denied port stay refused, and the time from
# the kill to the buckets moving is measured; the firewall added back takes only its share
# (buckets moved, and sessions moved between two runs with the same 3,000 source ports,
# all of them to the new firewall).
set -u
FIREWALL=$(readlink -f "${1:?usage: scaleout-e2e.sh rampart-firewall rampart-node}")
AGENT=$(readlink -f "${2:?usage: scaleout-e2e.sh rampart-firewall rampart-node}")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for tool in ip nft tcpdump python3 bridge; do command -v $tool >/dev/null || { echo "SKIP: $tool missing (scripts/setup.sh)"; exit 77; }; done
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOL="python3 $HERE/lib/spread_sessions.py"
source "$HERE/lib/two-node-topology.sh"

two_nodes_begin so scaleout 10.201.0 3
now() { date +%s.%N; }

set -e
two_nodes_up

start_firewall() {  # index 0..2 [hold]: hold = do not send the tag map yet
    local i=$1 address=10.201.0.$((11 + $1))
    cat > $WORK/fw$i.yaml <<YAML
$(two_nodes_firewall_config $i ${SCALEOUT_WORKERS:-1})
  readyAfterTags: true        # /readyz (what the nodes probe) waits for the whole tag map
---
$(two_nodes_policy scaleout "tcp/8000, tcp/5201")
YAML
    ip netns exec ${FWS[$i]} "$FIREWALL" --config $WORK/fw$i.yaml >> $WORK/fw$i.log 2>&1 &
    PID[fw$i]=$!
    local k
    for k in $(seq 100); do n ${FWS[$i]} curl -sf -o /dev/null http://$address:9681/healthz && break; sleep 0.1; done
    [ "${2:-}" = hold ] || push_tags $i
}
push_tags() {  # what the manager does for a firewall that joins: the whole map, then /readyz is 200
    local i=$1 address=10.201.0.$((11 + $1)) k
    n ${FWS[$i]} curl -sf -o /dev/null -X POST http://127.0.0.1:9680/tags \
        -d '{"sequence": 1, "replace": true, "updates": [{"address": "10.244.1.10", "tags": ["ns:a"]}, {"address": "10.244.2.10", "tags": ["ns:b"]}]}'
    for k in $(seq 100); do n ${FWS[$i]} curl -sf -o /dev/null http://$address:9681/readyz && return 0; sleep 0.1; done
    echo "firewall $i not ready"; cat $WORK/fw$i.log; return 1
}
echo '{"kind": "Secret", "data": {"token": "c2NhbGVvdXQ="}}' > $WORK/credentials.json
start_agent() {  # node namespace, node number
    cat > $WORK/node$2.yaml <<YAML
$(two_nodes_agent_config $2)
  plugin: {logFile: $WORK/cni$2.log}
  metrics: 127.0.0.1:9691
  healthPath: /readyz               # ready = holds the tag map (readyAfterTags)
YAML
    ip netns exec $1 "$AGENT" run --config $WORK/node$2.yaml >> $WORK/node$2.log 2>&1 &
    PID[node$2]=$!
}
wait_buckets() {  # count of firewalls that must own buckets on both nodes
    local k
    for k in $(seq 100); do
        if [ "$(owners $N1 | awk '{print $2}' | sort -u | wc -l)" = "$1" ] && [ "$(owners $N2 | awk '{print $2}' | sort -u | wc -l)" = "$1" ] \
            && [ "$(owners $N1 | wc -l)" = 4096 ] && [ "$(owners $N2 | wc -l)" = 4096 ]; then return 0; fi
        sleep 0.1
    done
    return 1
}
settled() {  # node namespace: prints the bucket table once two reads 0.3 s apart agree
    local a b k
    a=$(owners $1)
    for k in $(seq 30); do sleep 0.3; b=$(owners $1); [ "$a" = "$b" ] && break; a=$b; done
    echo "$b"
}
capture() {  # start counting inner SYNs at every running firewall
    local i
    for i in 0 1 2; do
        [ -n "${PID[fw$i]:-}" ] || continue
        ip netns exec ${FWS[$i]} tcpdump -Uni ul -T vxlan -w $WORK/syn$i.pcap 'udp port 6080' > /dev/null 2>&1 &
        PID[cap$i]=$!
    done
    sleep 1
}
stop_capture() {  # print "firewall source-port" for every SYN A->B:8000 seen from node 1
    local i
    for i in 0 1 2; do
        [ -n "${PID[cap$i]:-}" ] || continue
        stop_process ${PID[cap$i]}; unset "PID[cap$i]"
        tcpdump -nr $WORK/syn$i.pcap -T vxlan 2>/dev/null \
            | awk -v fw=$i '/10.244.1.10\.[0-9]+ > 10.244.2.10\.8000: Flags \[S\],/ {
                  for (f = 1; f <= NF; f++) if ($f ~ /^10\.244\.1\.10\./) { split($f, p, "."); print fw, p[5] } }'
    done
}

for i in 0 1 2; do start_firewall $i; done
ip netns exec $B $TOOL serve 10.244.2.10 8000 8001 > $WORK/server.log 2>&1 &
PID[server]=$!
start_agent $N1 1
start_agent $N2 2
set +e
wait_buckets 3 && pass "both nodes programmed 4096 buckets over 3 firewalls" || { fail "buckets not programmed"; cat $WORK/node1.log | tail -5; }
n $N1 nft list table netdev rampart | grep -q 'symhash mod 4096' && pass "spreading rule installed" || fail "no spreading rule"
for k in $(seq 50); do n $A bash -c 'exec 3<>/dev/tcp/10.244.2.10/8000' 2>/dev/null && break; sleep 0.2; done
[ "$(owners $N1)" = "$(owners $N2)" ] && pass "both nodes computed the same bucket table" || fail "the nodes' bucket tables differ"

created() {  # sessions each firewall has created so far (its own /metrics)
    local i
    for i in 0 1 2; do
        n ${FWS[$i]} curl -s http://10.201.0.$((11 + i)):9681/metrics | awk '/^rampart_sessions_created_total/ {printf "%d ", $2}'
    done
}

# 1. 3,000 sessions spread evenly: counted by each firewall (sessions created; every session
#    crosses a firewall from node 1 and again from node 2) and by a capture of the inner SYNs.
before=$(created)
capture
result=$(n $A $TOOL many 10.244.2.10 8000 3000 20000)
stop_capture > $WORK/spread3.txt
after=$(created)
echo "3,000 sessions: $result; sessions created per firewall: before [$before] after [$after]"
[ "$(echo "$result" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ok"])')" = 3000 ] && pass "3000 sessions allowed" || fail "sessions failed: $result"
python3 - "$before" "$after" $WORK/spread3.txt <<'EOF' && pass "per-firewall counts within 10 % of even" || fail "uneven spread"
import sys, collections
counts = [int(a) - int(b) for a, b in zip(sys.argv[2].split(), sys.argv[1].split())]
even = sum(counts) / 3
print("sessions per firewall (both nodes' crossings):", counts, "even:", round(even, 1),
      "deviation: %s %%" % [round(100 * (c - even) / even, 1) for c in counts])
seen = {}
for line in open(sys.argv[3]):
    fw, port = line.split(); seen[int(port)] = fw   # retransmitted SYNs count once
print("captured SYNs: %d sessions, per firewall %s" % (len(seen), dict(sorted(collections.Counter(seen.values()).items()))))
sys.exit(0 if sum(counts) >= 6000 and all(abs(c - even) <= 0.1 * even for c in counts) else 1)
EOF

# 1b. The node's own count of what it sent each firewall (nft counters on /metrics): the new
#    TCP sessions node 1 steered to each firewall follow the captured SYNs.
n $N1 curl -s http://127.0.0.1:9691/metrics | grep -E '^rampart_node_firewall_steered_(sessions|packets)_total' | sort | tee $WORK/steered.txt
python3 - $WORK/steered.txt $WORK/spread3.txt <<'EOF' && pass "node 1's per-firewall session counters follow the sessions" || fail "per-firewall counters on /metrics wrong"
import re, sys, collections
steered = {}
for line in open(sys.argv[1]):
    m = re.match(r'rampart_node_firewall_steered_sessions_total\{address="10\.201\.0\.1(\d)"\} (\d+)', line)
    if m: steered[str(int(m.group(1)) - 1)] = int(m.group(2))
seen = {}
for line in open(sys.argv[2]):
    fw, port = line.split(); seen[int(port)] = fw
captured = collections.Counter(seen.values())
print("new TCP sessions node 1 sent per firewall (/metrics):", dict(sorted(steered.items())), "SYNs captured at the firewalls:", dict(sorted(captured.items())))
# The counters also hold the first connection and retransmitted SYNs: at least the captured, at most 3 % more.
sys.exit(0 if len(steered) == 3 and all(captured[k] <= steered.get(k, 0) <= captured[k] * 1.03 + 5 for k in captured) else 1)
EOF

# 2. Kill firewall 2 during 24 downloads (4 MB at 1 MB/s each).
n $A $TOOL denied 10.244.2.10 8001 30 1.5 > $WORK/denied-before.json
n $A $TOOL transfers 10.244.2.10 8000 24 4000000 1000000 > $WORK/transfers.json &
TRANSFERS=$!
sleep 1
killed=$(now)
kill -KILL ${PID[fw1]}; wait ${PID[fw1]} 2>/dev/null; unset "PID[fw1]"
wait_buckets 2; moved=$(now)
n $A $TOOL denied 10.244.2.10 8001 30 1.5 > $WORK/denied-after.json
wait $TRANSFERS
echo "downloads: $(cat $WORK/transfers.json)"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["finished"]==r["count"] else 1)' $WORK/transfers.json \
    && pass "every download finished across the failover" || fail "downloads broken: $(cat $WORK/transfers.json)"
for f in before after; do
    grep -q '"through": 0' $WORK/denied-$f.json && pass "denied port refused $f the failover" || fail "denied port let through $f: $(cat $WORK/denied-$f.json)"
done
echo "kill -> buckets moved on both nodes: $(python3 -c "print(round($moved - $killed, 3))") s"
grep -h '"firewall"' $WORK/node1-events.json | tail -1
grep -h 'buckets-moved' $WORK/node1-events.json | tail -1
python3 - $WORK/node1-events.json <<'EOF' && pass "failover within 2 s of the last good probe" || fail "failover slower than 2 s"
import json, sys, datetime
def t(s): return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
events = [json.loads(l) for l in open(sys.argv[1])]
down = [e for e in events if e["event_type"] == "firewall" and e["firewall"]["state"] == "down"]
moves = [e for e in events if e["event_type"] == "spread" and e["spread"].get("action") == "buckets-moved"]
after = [m for m in moves if t(m["timestamp"]) >= t(down[-1]["timestamp"])]
print("down event -> buckets moved: %.3f s" % (t(after[0]["timestamp"]) - t(down[-1]["timestamp"])))
sys.exit(0 if down and after and t(after[0]["timestamp"]) - t(down[-1]["timestamp"]) < 2 else 1)
EOF
n $N1 curl -s http://127.0.0.1:9691/metrics | grep -E 'rampart_node_firewall_(share|transitions)' | sort

# 3. Firewall 2 comes back: only its share moves, all of it to firewall 2.
settled $N1 > $WORK/owners2.txt
capture
n $A $TOOL many 10.244.2.10 8000 3000 20000 > /dev/null
stop_capture > $WORK/spread2.txt
start_firewall 1 hold
sleep 1.5
[ "$(owners $N1 | awk '$2 == "10.201.0.12"' | wc -l)" = 0 ] && pass "a firewall without the tag map gets no sessions" || fail "buckets given to a firewall before its tag map"
push_tags 1
wait_buckets 3 || fail "firewall 2 did not get buckets back"
settled $N1 > $WORK/owners3.txt
sleep 11   # the previous run's ports leave TIME_WAIT in the firewalls (tcpClosed 10 s)
capture
n $A $TOOL many 10.244.2.10 8000 3000 20000 > /dev/null
stop_capture > $WORK/spread3b.txt
python3 - $WORK <<'EOF' && pass "adding a firewall moved only its share, all to it" || fail "adding a firewall moved more than its share"
import sys
w = sys.argv[1]
def table(name, pairs=False):
    out = {}
    for line in open(f"{w}/{name}"):
        a, b = line.split()
        out[int(b) if pairs else int(a)] = a if pairs else b
    return out
before, after = table("owners2.txt"), table("owners3.txt")
moved = [b for b in after if after[b] != before.get(b)]
to_new = all(after[b] == "10.201.0.12" for b in moved)
s2, s3 = table("spread2.txt", True), table("spread3b.txt", True)
common = [p for p in s2 if p in s3]
smoved = [p for p in common if s2[p] != s3[p]]
print("buckets moved: %d of 4096 (%.1f %%), all to the new firewall: %s" % (len(moved), 100 * len(moved) / 4096, to_new))
print("sessions moved: %d of %d (%.1f %%), all to the new firewall: %s" % (len(smoved), len(common), 100 * len(smoved) / max(1, len(common)), all(s3[p] == "1" for p in smoved)))
ok = to_new and 0.28 < len(moved) / 4096 < 0.39 and all(s3[p] == "1" for p in smoved) and 0.25 < len(smoved) / max(1, len(common)) < 0.42
sys.exit(0 if ok else 1)
EOF

# 4. Optional: aggregate throughput through 1, 2 and 3 firewalls.
if [ -n "${SCALEOUT_BENCH:-}" ] && command -v iperf3 >/dev/null; then
    ip netns exec $B iperf3 -s -B 10.244.2.10 > $WORK/iperf.log 2>&1 &
    PID[iperf]=$!
    for count in 3 2 1; do
        for i in 0 1 2; do
            if [ $i -ge $count ] && [ -n "${PID[fw$i]:-}" ]; then stop_process ${PID[fw$i]}; unset "PID[fw$i]"; fi
        done
        wait_buckets $count
        sleep 0.5
        bps=$(n $A iperf3 -c 10.244.2.10 -P 12 -t ${SCALEOUT_SECONDS:-8} -J | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])')
        echo "BENCH: $count firewall(s), 12 streams: $(python3 -c "print(round($bps / 1e9, 2))") Gbit/s"
    done
fi

[ $failures = 0 ] && echo "scaleout-e2e: all passed" || echo "scaleout-e2e: $failures failed"
exit $((failures > 0))
