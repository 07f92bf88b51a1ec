#!/usr/bin/env bash
# Signatures inline in the real rampart-firewall (issue 13), in the namespaces of
# scripts/lib/firewall-topology.sh: pod A curls pod B's python http.server through the
# tunnel; the policy allows it; spec.rules holds a drop rule, a reject rule and an alert rule.
#
#   scripts/firewall-signatures-e2e.sh .build/debug/rampart-firewall
#
# Checks: a request no rule names passes with no alert; one the alert rule names passes and
# is logged "allowed"; one the drop rule names never reaches pod B (curl times out) and is
# logged "blocked"; one the reject rule names is reset (curl fails at once) and never reaches
# pod B; the firewall logs how many rules it runs; /metrics counts alerts and blocks; after
# SIGHUP with the alert rule turned into a drop rule, its request is dropped. Never touches the root namespace's
# interfaces; removes everything it made.
set -u
FIREWALL=${1:?usage: firewall-signatures-e2e.sh path/to/rampart-firewall}
FIREWALL=$(readlink -f "$FIREWALL")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
for tool in ip curl $PYTHON; do command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }; done

source "$(dirname "${BASH_SOURCE[0]}")/lib/firewall-e2e.sh"
firewall_e2e_begin rps signatures

set -e
firewall_topology_up
steer on
set +e

cat > $WORK/signatures.rules <<'RULES'
drop http any any -> any any (msg:"E2E web shell"; flow:established,to_server; http.uri; content:"/shell.php"; classtype:web-application-attack; sid:9100001; rev:1;)
reject http any any -> any any (msg:"E2E reset me"; flow:established,to_server; http.uri; content:"/reset.php"; sid:9100002; rev:1;)
alert http any any -> any any (msg:"E2E hello requested"; flow:established,to_server; http.uri; content:"/hello.txt"; sid:9100003; rev:1;)
RULES
cat > $WORK/firewall.yaml <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: e2e-signatures}
spec:
  listen: 0.0.0.0:6080
  admin: 127.0.0.1:9680
  vnis: [7]
  tunnelSourceNetworks: [10.200.0.0/30]
  events: $WORK/eve.json
  rules: signatures.rules
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: e2e}
spec:
  zones:
    - {name: pod-a, networks: [10.244.1.10/32]}
    - {name: pod-b, networks: [10.244.1.20/32]}
  rules:
    - {name: allow-web, from: [pod-a], to: [pod-b], services: [tcp/8000], action: allow}
  defaults:
    intrazone: {action: allow}
    interzone: {action: deny}
YAML
mkdir -p $WORK/www
echo hello > $WORK/www/hello.txt
echo index > $WORK/www/index.html
ip netns exec $FW "$FIREWALL" --config $WORK/firewall.yaml --workers 1 >> $WORK/firewall.out 2>> $WORK/firewall.err &
FWPID=$!; PIDS+=($FWPID)
(cd $WORK/www && exec ip netns exec $PODB $PYTHON -m http.server 8000 --bind 10.244.1.20 > $WORK/http.log 2>&1) &
HTTPPID=$!; PIDS+=($HTTPPID)
ready=no
for i in $(seq 150); do
    if n $FW curl -s -o /dev/null http://127.0.0.1:9680/readyz && n $PODB bash -c 'exec 3<>/dev/tcp/10.244.1.20/8000' 2>/dev/null; then
        ready=yes; break
    fi
    sleep 0.2
done
[ $ready = yes ] || { echo "FAIL: the firewall or the HTTP server did not start"; cat $WORK/firewall.err $WORK/http.log; exit 1; }
grep -q "rules-loaded" $WORK/firewall.err && pass "the firewall logged its signatures: $(grep -o 'signatures from [^"]*' $WORK/firewall.err | head -1)" || fail "no rules-loaded log line"

get() { n $PODA curl -s -o /dev/null -w '%{http_code}' --connect-timeout 3 --max-time 4 "http://10.244.1.20:8000$1"; }

code=$(get /index.html); status=$?
[ $status = 0 ] && [ "$code" = 200 ] && pass "a request no rule names passes (HTTP 200)" || fail "/index.html: curl status $status code $code"
code=$(get /hello.txt); status=$?
[ $status = 0 ] && [ "$code" = 200 ] && pass "an alert rule lets its request pass (HTTP 200)" || fail "/hello.txt: curl status $status code $code"
code=$(get /shell.php); status=$?
[ $status = 28 ] && pass "a drop rule stops its request: curl timed out (exit 28)" || fail "/shell.php: curl status $status code $code (expected 28)"
start=$(date +%s%N)
code=$(get /reset.php); status=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
{ [ $status = 56 ] || [ $status = 52 ] || [ $status = 7 ]; } && [ $elapsed_ms -lt 2500 ] \
    && pass "a reject rule resets its session at once (curl exit $status in $elapsed_ms ms)" || fail "/reset.php: curl status $status after $elapsed_ms ms"
code=$(get /index.html); status=$?
[ $status = 0 ] && [ "$code" = 200 ] && pass "a new session afterwards passes again" || fail "after the blocks: curl status $status code $code"
sleep 0.3
metrics=$(n $FW curl -s http://127.0.0.1:9680/metrics)
echo "$metrics" | grep -Eq '^rampart_signature_alerts_total [3-9]' && pass "/metrics counts the alerts" || fail "/metrics: $(echo "$metrics" | grep signature_alerts)"
echo "$metrics" | grep -Eq '^rampart_signature_blocks_total [2-9]' && pass "/metrics counts the blocks" || fail "/metrics: $(echo "$metrics" | grep signature_blocks)"

# A reload swaps the rules with the policy: /hello.txt becomes a drop rule.
sed -i 's/^alert http any any -> any any (msg:"E2E hello requested"/drop http any any -> any any (msg:"E2E hello requested"/' $WORK/signatures.rules
kill -HUP $FWPID; sleep 1
code=$(get /hello.txt); status=$?
[ $status = 28 ] && pass "after a reload the rule for /hello.txt drops it (curl exit 28)" || fail "after the reload: /hello.txt curl status $status code $code"
code=$(get /index.html); status=$?
[ $status = 0 ] && [ "$code" = 200 ] && pass "after the reload other requests pass" || fail "after the reload: /index.html curl status $status code $code"

grep -q 'GET /shell.php' $WORK/http.log && fail "pod B received the dropped request" || pass "the dropped request never reached pod B"
grep -q 'GET /reset.php' $WORK/http.log && fail "pod B received the rejected request" || pass "the rejected request never reached pod B"
[ "$(grep -c 'GET /hello.txt' $WORK/http.log)" = 1 ] && pass "the alerted request reached pod B, the one dropped after the reload did not" || fail "pod B got /hello.txt $(grep -c 'GET /hello.txt' $WORK/http.log) times (expected 1)"

kill -TERM $FWPID; wait $FWPID; FWPID=""
alerts=$(grep '"event_type":"alert"' $WORK/eve.json)
echo "$alerts" | grep '"signature_id":9100001' | grep -q '"action":"blocked"' && pass "EVE alert for the drop rule says blocked" || fail "no blocked alert for sid 9100001"
echo "$alerts" | grep '"signature_id":9100002' | grep -q '"action":"blocked"' && pass "EVE alert for the reject rule says blocked" || fail "no blocked alert for sid 9100002"
echo "$alerts" | grep '"signature_id":9100003' | grep -q '"action":"allowed"' && pass "EVE alert for the alert rule says allowed" || fail "no allowed alert for sid 9100003"
[ "$(echo "$alerts" | grep -c '"signature_id":9100001')" = 1 ] && pass "one alert for the dropped session" || fail "sid 9100001 alerts: $(echo "$alerts" | grep -c 9100001)"
grep '"event_type":"flow"' $WORK/eve.json | grep -q '"alerted":true' && pass "flow records say alerted" || fail "no flow record with alerted:true"

if [ $failures -gt 0 ]; then
    echo "--- firewall stderr"; cat $WORK/firewall.err
    echo "--- events"; cat $WORK/eve.json
    echo "--- http"; cat $WORK/http.log
    echo "FAILED: $failures check(s)"
    exit 1
fi
echo "ALL PASSED"
