#!/usr/bin/env bash
# End-to-end test of rampart-firewall in network namespaces (root only), following
# ../shared/ARCHITECTURE.md: two pods behind veths on a node, the node steering their
# traffic by policy routing into a kernel VXLAN device (rampart0, VNI 7, UDP 6080) toward
# the firewall in its own namespace, which sends allowed frames back.
#
#   scripts/firewall-e2e.sh .build/debug/rampart-firewall
#   E2E_WORKERS=1 scripts/firewall-e2e.sh ...     # one worker (default: one per core)
#
# Checks: curl pod A -> pod B passes under an allow rule; SIGHUP to a deny rule makes curl
# time out; a bad policy is rejected and the running one kept; SIGHUP to a reset-client rule
# makes curl fail at once with a reset; the EVE flow records name each rule; /metrics and
# /healthz answer. Never touches the root namespace's interfaces; removes everything it made.
set -u
FIREWALL=${1:?usage: firewall-e2e.sh path/to/rampart-firewall}
FIREWALL=$(readlink -f "$FIREWALL")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
for tool in ip curl $PYTHON; do command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }; done

source "$(dirname "${BASH_SOURCE[0]}")/lib/firewall-e2e.sh"
firewall_e2e_begin rp e2e

set -e
firewall_topology_up
# Over a veth the kernel hands the firewall whole 64 KB TSO super-packets as single UDP
# datagrams (UDP-tunnel GSO is not segmented for a plain UDP socket); the firewall cuts them
# to the inner MTU. E2E_NODE_SEGMENTS=1 makes the node segment instead.
if [ -n "${E2E_NODE_SEGMENTS:-}" ]; then
    n $NODE ethtool -K nfw tx-udp_tnl-segmentation off tx-udp_tnl-csum-segmentation off >/dev/null
fi
steer on
set +e

policy() {  # $1 = rule name, $2 = action
cat <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: e2e}
spec:
  listen: 0.0.0.0:6080
  admin: 127.0.0.1:9680
  vnis: [7]
  tunnelSourceNetworks: [10.200.0.0/30]   # the node's tunnel address (no manager enrolls it here)
  events: $WORK/eve.json
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: e2e}
spec:
  zones:
    - {name: pod-a, networks: [10.244.1.10/32]}
    - {name: pod-b, networks: [10.244.1.20/32]}
  rules:
    - name: $1
      from: [pod-a]
      to: [pod-b]
      services: [tcp/8000]
      action: $2
  defaults:
    intrazone: {action: allow}
    interzone: {action: deny}
YAML
}

policy allow-web allow > $WORK/firewall.yaml
start_firewall() {
    ip netns exec $FW "$FIREWALL" --config $WORK/firewall.yaml ${E2E_WORKERS:+--workers $E2E_WORKERS} >> $WORK/firewall.out 2>> $WORK/firewall.err &
    FWPID=$!; PIDS+=($FWPID)
}
start_firewall
(cd $WORK && exec ip netns exec $PODB $PYTHON -m http.server 8000 --bind 10.244.1.20 > $WORK/http.log 2>&1) &
HTTPPID=$!; PIDS+=($HTTPPID)
ready=no
for i in $(seq 150); do
    if n $FW curl -s -o /dev/null http://127.0.0.1:9680/readyz && n $PODB bash -c 'exec 3<>/dev/tcp/10.244.1.20/8000' 2>/dev/null; then
        ready=yes; break
    fi
    sleep 0.2
done
[ $ready = yes ] || { echo "FAIL: the firewall or the HTTP server did not start"; cat $WORK/firewall.err $WORK/http.log; exit 1; }

curl_a() { n $PODA curl -s -o /dev/null -w '%{http_code}' --connect-timeout 3 --max-time 5 http://10.244.1.20:8000/; }

# 1. Allowed.
code=$(curl_a); status=$?
[ $status = 0 ] && [ "$code" = 200 ] && pass "allow-web: curl got HTTP 200 through the firewall" || fail "allow-web: curl status $status code $code"
head -c 4000000 /dev/urandom > $WORK/blob.bin
got=$(n $PODA curl -s --max-time 20 http://10.244.1.20:8000/blob.bin | sha256sum | cut -d' ' -f1)
[ "$got" = "$(sha256sum < $WORK/blob.bin | cut -d' ' -f1)" ] && pass "allow-web: a 4 MB download arrived intact" || fail "4 MB download corrupted or cut"
n $FW curl -s http://127.0.0.1:9680/healthz | grep -q ok && pass "/healthz answers" || fail "/healthz"
metrics=$(n $FW curl -s http://127.0.0.1:9680/metrics)
sleep 0.3
metrics=$(n $FW curl -s http://127.0.0.1:9680/metrics)
echo "$metrics" | grep -Eq '^rampart_frames_forwarded_total [1-9]' && pass "/metrics counts forwarded frames" || fail "/metrics: $(echo "$metrics" | grep forwarded)"
[ -z "${E2E_NODE_SEGMENTS:-}" ] && { echo "$metrics" | grep -Eq '^rampart_frames_segmented_total [1-9]' && pass "TSO super-packets were segmented to the inner MTU" || fail "no segmentation: $(echo "$metrics" | grep segment)"; }
workers=$(echo "$metrics" | grep -c '^rampart_worker_datagrams_received_total')
[ "$workers" -ge 1 ] && pass "/metrics reports $workers worker(s)" || fail "no per-worker metrics"
echo "$metrics" | grep -Eq '^rampart_checksums_completed_total [1-9]' && pass "unfinished inner checksums were completed" || echo "NOTE: no checksum needed completing"

# A restart mid-flow: a slow download keeps going across a firewall restart (its session
# comes back midstream and is decided by the same allow rule).
n $PODA curl -s --max-time 12 --limit-rate 1M -o $WORK/slow.bin http://10.244.1.20:8000/blob.bin &
SLOWPID=$!
sleep 1
kill -TERM $FWPID; wait $FWPID; start_firewall
for i in $(seq 50); do n $FW curl -s -o /dev/null http://127.0.0.1:9680/readyz && break; sleep 0.1; done
wait $SLOWPID; slow=$?
# The connection's next packets start a midstream session in the new engine; the engine
# orients it by its ports (the lower port is the server's), so the download goes on.
if [ $slow = 0 ] && cmp -s $WORK/slow.bin $WORK/blob.bin; then
    pass "a download survived a firewall restart mid-flow"
else
    fail "a download across a firewall restart stalled (curl status $slow)"
fi
# 2. Reload to a deny rule: curl times out.
policy deny-web deny > $WORK/firewall.yaml
kill -HUP $FWPID; sleep 0.5
code=$(curl_a); status=$?
[ $status = 28 ] && pass "deny-web: curl timed out (exit 28)" || fail "deny-web: curl status $status code $code (expected timeout 28)"

# 3. A bad policy is rejected; the deny rule stays.
echo "apiVersion: rampart.io/v1
kind: SecurityPolicy
spec: {rules: [{name: broken, action: explode}]}" > $WORK/firewall.yaml
kill -HUP $FWPID; sleep 0.5
grep -q "reload rejected" $WORK/firewall.err && pass "bad policy rejected with its errors" || fail "bad policy not reported"
code=$(curl_a); status=$?
[ $status = 28 ] && pass "after the rejected reload the deny rule still holds" || fail "after rejected reload: curl status $status"

# 4. Reload to a reset-client rule: curl fails at once (connection refused by the RST).
policy reset-web reset-client > $WORK/firewall.yaml
kill -HUP $FWPID; sleep 0.5
start=$(date +%s%N)
code=$(curl_a); status=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $status = 7 ] && pass "reset-web: curl was reset (exit 7, connection refused)" || fail "reset-web: curl status $status (expected 7)"

# 5. Graceful shutdown writes the flow records; every rule is named.
kill -TERM $FWPID; wait $FWPID; fwstatus=$?; FWPID=""
[ $fwstatus = 0 ] && pass "SIGTERM: clean exit" || fail "firewall exit status $fwstatus"
for rule in allow-web deny-web reset-web; do
    grep '"event_type":"flow"' $WORK/eve.json | grep -q "\"rule\":\"$rule\"" && pass "EVE flow record names $rule" || fail "no EVE flow record for $rule"
done
grep '"event_type":"flow"' $WORK/eve.json | grep '"rule":"allow-web"' | grep -q '"pkts_toclient":[1-9]' && pass "both directions of an allowed session met in one worker's session" || fail "no allow-web session saw both directions"
grep '"rule":"allow-web"' $WORK/eve.json | grep -q '"action":"allow"' && pass "allow-web record says allow" || fail "allow-web action"
grep '"rule":"reset-web"' $WORK/eve.json | grep -q '"action":"reset-client"' && pass "reset-web record says reset-client" || fail "reset-web action"
grep '"rule":"allow-web"' $WORK/eve.json | grep -q '"vni":7\|"tunnel_vni":7\|"vxlan_vni":7' && pass "records carry the tunnel VNI 7" || echo "NOTE: no VNI field in records"

if [ $failures -gt 0 ]; then
    echo "--- firewall stderr"; cat $WORK/firewall.err
    echo "--- events"; cat $WORK/eve.json
    echo "FAILED: $failures check(s)"
    exit 1
fi
[ -n "${E2E_VERBOSE:-}" ] && { echo "--- firewall stderr"; cat $WORK/firewall.err; echo "--- events"; cat $WORK/eve.json; }
echo "ALL PASSED"
