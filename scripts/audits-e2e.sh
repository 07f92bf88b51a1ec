#!/usr/bin/env bash
# End-to-end test of runtime audits (root only; docs/image-trust.md, "Runtime audits"): a
# real rampart-firewall in network namespaces (scripts/lib/firewall-topology.sh, prefix
# au-) enforces a policy committed through a real rampart-manager and ships its flow
# records over TCP syslog to the manager's log store, where the auditor learns each
# workload during a short learning window (6 s) and then audits.
#
#   scripts/audits-e2e.sh .build/debug      # the folder holding rampart-firewall,
#                                           # rampart-manager and rampart
#
# Checks: pod A (shop/client) → pod B (shop/web, 10.244.1.20:8000) during learning raises
# nothing; the same traffic goes on after the window and raises nothing; A → a new destination
# (shop/api, a second address of pod B, 10.244.1.30:8000) raises exactly one audit,
# new-destination, naming cluster, namespace, workload and the peer by its workload; that
# destination again raises no second one. GET /audits, `rampart audits`, `rampart logs
# --event audit`, the profile (GET /audits/profile, `rampart audits --profile`) and the
# proposed policy (a diff against commit 1 that `rampart policy validate` accepts, peers by
# tags) are checked, and the manager's /metrics counts the audit.
# The root namespace's interfaces are never touched, and everything made is removed.
set -u
BIN=${1:?usage: audits-e2e.sh path/to/bin-folder}
BIN=$(readlink -f "$BIN")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/manager-e2e.sh"
manager_e2e_check
firewall_e2e_begin au audits

set -e
firewall_topology_up
steer on
# A second address of pod B, for a destination the client never used (routed like the first).
n $PODB ip addr add 10.244.1.30/32 dev eth0
n $NODE ip route add 10.244.1.30/32 dev vB
set +e

manager_e2e_tokens
FIREWALL_SPEC="  sessions: 128      # a small table is swept whole in a few packets (4 slots a packet)"
MANAGER_SPEC="  audits:
    learningSeconds: 6
    scan: {windowSeconds: 10, peers: 20, ports: 20}"
manager_e2e_configs audits-e2e

cat > $WORK/policy.yaml <<YAML
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata:
  name: shop
spec:
  zones:
    - name: pods
      networks: [10.244.1.0/24]
  rules:
    - name: pods-web
      from: [pods]
      to: [pods]
      services: [tcp/8000]
      action: allow
---
apiVersion: rampart.io/v1
kind: AddressTags
metadata: {name: shop}
spec:
  addresses:
    - {address: 10.244.1.10, tags: ["cluster:lab", "ns:shop", "pod:shop/client-1", "workload:client"]}
    - {address: 10.244.1.20, tags: ["cluster:lab", "ns:shop", "pod:shop/web-1", "workload:web"]}
    - {address: 10.244.1.30, tags: ["cluster:lab", "ns:shop", "pod:shop/api-1", "workload:api"]}
YAML

manager_e2e_start

api() {  # $1 = path (GET, as the viewer)
    n $FW curl -s -H "Authorization: Bearer $VIEWER" "http://127.0.0.1:9690$1"
}
json() {  # $1 = python expression over d (the JSON on stdin)
    $PYTHON -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
curl_to() { n $PODA curl -s -o /dev/null -w '%{http_code}' --connect-timeout 3 --max-time 4 "http://$1:8000/"; }

# Commit 1 through the API: the proposal is made against it.
out=$(n $FW curl -s -X POST -H "Authorization: Bearer $OPS" --data-binary @$WORK/policy.yaml -w ' %{http_code}' \
    'http://127.0.0.1:9690/policy/commits?message=shop')
[ "${out##* }" = 201 ] && pass "commit 1 made through the API" || fail "commit 1: $out"
for i in $(seq 100); do
    [ "$(n $FW curl -s -H "Authorization: Bearer $VIEWER" http://127.0.0.1:9680/policy | json 'd.get("commit")')" = 1 ] && break; sleep 0.1
done

# The firewall writes a TCP session's flow record when the session is swept, 10 s after it
# closed, and it sweeps a few slots per packet while packets arrive: a ticker of known traffic (client → web,
# every 0.5 s, from the start so it is learned) keeps records coming, and is itself the
# "repeated known traffic" that must raise nothing.
start=$(date +%s.%N)
(while true; do n $PODA curl -s -o /dev/null --connect-timeout 2 --max-time 3 http://10.244.1.20:8000/; sleep 0.5; done) &
TICKER=$!; PIDS+=($TICKER)
since() { $PYTHON -c "print(round($start + $1, 3))"; }
flows_from() {  # $1 = address, $2 = seconds after the start: flow records to it from then
    api "/logs?address=$1&event=flow&from=$(since $2)&limit=1000" | json 'd["count"]'
}
wait_count() {  # $1 = command printing a number, $2 = at least this, $3 = seconds
    local deadline=$(( $(date +%s) + $3 ))
    while [ $(date +%s) -lt $deadline ]; do [ "$($1)" -ge "$2" ] 2>/dev/null && return 0; sleep 0.5; done; return 1
}
learning_flows() { flows_from 10.244.1.20 0; }
known_flows() { flows_from 10.244.1.20 8; }
new_flows() { flows_from 10.244.1.30 0; }
audit_count() { api '/audits?since=1h' | json 'd["count"]'; }

# 1. Learning (6 s from the client's first record): flows reach the store, no audit.
wait_count learning_flows 3 40 && pass "flows reached the log store through the firewall's syslog ($(learning_flows))" || fail "learning flows: $(learning_flows)"
[ "$(audit_count)" = 0 ] && pass "no audit while learning" || fail "audits while learning: $(api '/audits?since=1h')"

# 2. After the window: the known traffic goes on and raises nothing.
wait_count known_flows 5 60 && pass "known flows after the window were stored ($(known_flows))" || fail "known flows: $(known_flows)"
[ "$(audit_count)" = 0 ] && pass "repeated known traffic after the window raises no audit" || fail "audits on known traffic: $(api '/audits?since=1h')"

# 3. A new destination: one audit, new-destination, the peer named by its workload.
code=$(curl_to 10.244.1.30); [ "$code" = 200 ] && pass "client → 10.244.1.30:8000 through the firewall (200)" || fail "new destination curl: $code"
sleep 1
code=$(curl_to 10.244.1.30); [ "$code" = 200 ] || fail "second curl to the new destination: $code"
wait_count new_flows 2 60 || fail "the new destination's flows were not stored: $(new_flows)"
for i in $(seq 20); do [ "$(audit_count)" -ge 1 ] && break; sleep 0.5; done
audits=$(api '/audits?since=1h')
echo "$audits" | json '"|".join(a["eve"]["audit"]["what"] + " " + a["eve"]["audit"]["cluster"] + "/" + a["eve"]["audit"]["namespace"] + "/" + a["eve"]["audit"]["workload"] + " " + a["eve"]["audit"]["evidence"]["peer"] for a in d["audits"])' > $WORK/audits.txt
[ "$(cat $WORK/audits.txt)" = "new-destination lab/shop/client workload:lab/shop/api" ] \
    && pass "exactly one audit for two sessions to it: new-destination of lab/shop/client to workload lab/shop/api" || fail "audits: $(cat $WORK/audits.txt) — $audits"
echo "$audits" | json 'd["audits"][0]["eve"]["event_type"] == "audit" and d["audits"][0]["dest"]["ip"] == "10.244.1.30" and d["audits"][0]["eve"]["audit"]["evidence"]["flow_id"] > 0' \
    | grep -q True && pass "the audit is an EVE record with the flow's id and the peer's address" || fail "audit record: $audits"
kill $TICKER 2>/dev/null; wait $TICKER 2>/dev/null
[ "$(api '/audits?ns=shop&what=new-destination&workload=shop/client&since=1h' | json 'd["count"]')" = 1 ] \
    && pass "GET /audits narrows by namespace, workload and what" || fail "GET /audits with criteria"
[ "$(api '/audits?what=scan&since=1h' | json 'd["count"]')" = 0 ] && pass "what=scan finds none" || fail "scan audits"

# 4. The CLI.
cli=$(n $FW "$BIN/rampart" audits --manager http://127.0.0.1:9690 --token-file $WORK/viewer.token --ns shop --since 1h 2>&1)
echo "$cli" | grep -q 'new-destination  lab/shop/client → shop/api:8000  http' && pass "rampart audits lists it" || fail "rampart audits: $cli"
cli=$(n $FW "$BIN/rampart" logs --manager http://127.0.0.1:9690 --token-file $WORK/viewer.token --event audit --since 1h 2>&1)
echo "$cli" | grep -q 'audit  http  shop/client-1:[0-9]* → shop/api-1:8000  new-destination  (audit, ' && pass "rampart logs --event audit finds it" || fail "rampart logs --event audit: $cli"
profile=$(n $FW "$BIN/rampart" audits --manager http://127.0.0.1:9690 --token-file $WORK/viewer.token --profile shop/client 2>&1)
echo "$profile" | grep -Eq 'workload:lab/shop/web  [0-9]+×' && echo "$profile" | grep -q 'workload:lab/shop/api  2×' && echo "$profile" | grep -q 'tcp/8000' \
    && pass "rampart audits --profile: both destinations with counts, the port" || fail "profile: $profile"

# 5. The proposed policy: a diff against commit 1 that validates.
n $FW "$BIN/rampart" audits --manager http://127.0.0.1:9690 --token-file $WORK/viewer.token --propose shop/client > $WORK/proposal.diff 2> $WORK/proposal.err \
    && pass "rampart audits --propose: valid ($(cat $WORK/proposal.err))" || fail "propose: $(cat $WORK/proposal.err)"
grep -q '^--- commit 1' $WORK/proposal.diff && grep -q '^+    - name: audit-lab-shop-client-to-shop-api' $WORK/proposal.diff \
    && grep -q 'workload:api' $WORK/proposal.diff && ! grep -q '10.244.1.30' $WORK/proposal.diff \
    && pass "the proposal is a diff against commit 1, peers by tags not addresses" || fail "proposal diff: $(cat $WORK/proposal.diff)"
api '/audits/proposal?workload=shop/client' | json 'd["text"]' > $WORK/proposed.yaml
n $FW "$BIN/rampart" policy validate $WORK/proposed.yaml > $WORK/validate.out 2>&1 \
    && pass "rampart policy validate accepts the proposed policy" || fail "validate: $(cat $WORK/validate.out)"

# 6. Metrics.
n $FW curl -s http://127.0.0.1:9692/metrics > $WORK/metrics
grep -q '^rampart_manager_audits_total{what="new-destination"} 1$' $WORK/metrics && grep -Eq '^rampart_manager_audit_profiles [3-9]' $WORK/metrics \
    && pass "the manager's /metrics counts the audit and the profiles" || fail "metrics: $(grep audit $WORK/metrics)"

if [ $failures -gt 0 ]; then
    echo "--- firewall stderr"; tail -20 $WORK/firewall.err
    echo "--- manager stderr"; tail -40 $WORK/manager.err
    echo "FAILED: $failures check(s)"
    exit 1
fi
echo "ALL PASSED"
