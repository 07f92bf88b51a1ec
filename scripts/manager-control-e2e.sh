#!/usr/bin/env bash
# End-to-end test of the manager as the control centre (root only): a policy committed
# through the manager's API is pushed to a real rampart-firewall and enforced on real
# traffic in network namespaces (scripts/lib/firewall-topology.sh), and the flow records
# the firewall ships over TCP syslog are found through the manager's log API and
# `rampart logs`; and the console of that same manager, in headless Chromium, shows them on
# its map (Tests/Console/map_e2e_test.py).
#
#   scripts/manager-control-e2e.sh .build/debug      # the folder holding rampart-firewall,
#                                                    # rampart-manager and rampart
#
# Checks: curl pod A -> pod B passes under the firewall's own policy and under commit 1;
# commit 2 (a deny rule) makes it time out; a read-only token cannot commit (403); a policy
# that does not validate is refused (422, file:line); rollback to commit 1 (commit 3) lets
# curl through again; the firewall restarted keeps commit 3 (spec.policyState); both sides'
# /metrics name the commit; GET /logs and `rampart logs` find the allowed and the denied
# flows by namespace, application, action and rule, with both ends' pods; in the console
# (signed in as an operator) the map shows the two workloads and the edge between them,
# allowed in green and denied in amber (DOM and screenshot pixels), the workload page its
# rules with hits and records, log search the denied flow, the policy page the rules' hits
# and a commit's diff; a policy committed from the browser (commit 4, CSRF-protected)
# reaches the firewall. CONSOLE_SCREENSHOT=FILE keeps the map's screenshot.
# The manager and the firewall run in the firewall's namespace; the root namespace's
# interfaces are never touched, and everything made is removed.
set -u
BIN=${1:?usage: manager-control-e2e.sh path/to/bin-folder}
BIN=$(readlink -f "$BIN")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/manager-e2e.sh"
manager_e2e_check chromium chromedriver
firewall_e2e_begin "${E2E_PREFIX:-mc}" control

set -e
firewall_topology_up
steer on
set +e

manager_e2e_tokens
# The console's operator, made as docs/console.md says.
head -c 24 /dev/urandom | base64 | tr -d '/+=' > $WORK/console.password
"$BIN/rampart-manager" passwd ops --role operator < $WORK/console.password > $WORK/console-users
chmod 600 $WORK/console-users

FIREWALL_SPEC="  policyState: $WORK/policy.json"
FIREWALL_ENTRY=", groups: [lab]"
MANAGER_SPEC="    retentionDays: 7
  console:
    listen: 127.0.0.1:9693
    usersFile: $WORK/console-users
    flowMinutes: 15"
manager_e2e_configs control-e2e

policy() {  # $1 = the web rule's name, $2 = its action
cat <<YAML
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: shop}
spec:
  zones:
    - {name: pods, networks: [10.244.1.0/24]}
  rules:
    - {name: $1, from: [pods], to: [pods], services: [tcp/8000], action: $2}
---
apiVersion: rampart.io/v1
kind: AddressTags
metadata: {name: shop}
spec:
  addresses:
    - {address: 10.244.1.10, tags: ["cluster:lab", "ns:shop", "pod:shop/client-1", "workload:client"]}
    - {address: 10.244.1.20, tags: ["cluster:lab", "ns:shop", "pod:shop/web-1", "workload:web"]}
YAML
}

manager_e2e_start 10.244.1.20

curl_a() { n $PODA curl -s -o /dev/null -w '%{http_code}' --connect-timeout 3 --max-time 4 http://10.244.1.20:8000/; }
api() {  # $1 = method, $2 = path, $3 = token, then curl's arguments
    local method=$1 path=$2 token=$3; shift 3
    n $FW curl -s -X $method -H "Authorization: Bearer $token" "$@" "http://127.0.0.1:9690$path"
}
runs() { n $FW curl -s -H "Authorization: Bearer $VIEWER" http://127.0.0.1:9680/policy | $PYTHON -c 'import json,sys; print(json.load(sys.stdin).get("commit"))'; }
wait_runs() { for i in $(seq 100); do [ "$(runs)" = "$1" ] && return 0; sleep 0.1; done; return 1; }

# 0. The firewall's own policy.
code=$(curl_a); [ "$code" = 200 ] && pass "the firewall's file policy lets curl through" || fail "file policy: curl code $code"

# 1. Commit 1 (allow, with the pods' tags) through the API.
policy allow-web allow > $WORK/p1.yaml
out=$(api POST '/policy/commits?message=allow+web&target=lab' "$OPS" --data-binary @$WORK/p1.yaml -w ' %{http_code}')
[ "${out##* }" = 201 ] && pass "commit 1 made through the API (201)" || fail "commit 1: $out"
wait_runs 1 && pass "the firewall runs commit 1" || fail "the firewall runs $(runs), not 1"
code=$(curl_a); [ "$code" = 200 ] && pass "commit 1: curl gets HTTP 200" || fail "commit 1: curl code $code"

# 2. A read-only token cannot commit; a policy that does not validate is refused.
policy deny-web deny > $WORK/p2.yaml
code=$(api POST '/policy/commits?message=x' "$VIEWER" --data-binary @$WORK/p2.yaml -o /dev/null -w '%{http_code}')
[ "$code" = 403 ] && pass "a read-only token cannot commit (403)" || fail "read-only commit answered $code"
policy deny-web explode > $WORK/bad.yaml
out=$(api POST '/policy/commits?message=bad' "$OPS" --data-binary @$WORK/bad.yaml -w ' %{http_code}')
[ "${out##* }" = 422 ] && echo "$out" | grep -q 'policy.yaml:8:' && pass "an invalid policy is refused with file:line (422)" || fail "bad commit: $out"

# 3. Commit 2: the web rule denies; curl times out.
out=$(api POST '/policy/commits?message=deny+web&target=lab' "$OPS" --data-binary @$WORK/p2.yaml -w ' %{http_code}')
[ "${out##* }" = 201 ] && echo "$out" | grep -q '+    - {name: deny-web' && pass "commit 2 made, its diff shown" || fail "commit 2: $out"
wait_runs 2 && pass "the firewall runs commit 2" || fail "the firewall runs $(runs), not 2"
code=$(curl_a); status=$?
[ $status = 28 ] && pass "commit 2: curl is denied (timed out)" || fail "commit 2: curl status $status code $code"

# 4. Rollback to commit 1 (as commit 3): curl passes again; the denied session is logged.
out=$(api POST '/policy/commits/1/rollback' "$OPS" -w ' %{http_code}')
[ "${out##* }" = 201 ] && pass "rollback to commit 1 made commit 3" || fail "rollback: $out"
wait_runs 3 && pass "the firewall runs commit 3" || fail "the firewall runs $(runs), not 3"
code=$(curl_a); [ "$code" = 200 ] && pass "after the rollback curl gets HTTP 200" || fail "after rollback: curl code $code"
n $FW curl -s http://127.0.0.1:9681/metrics | grep -q 'rampart_policy_commit_info{commit="3"' && pass "the firewall's /metrics names commit 3" || fail "firewall metrics"
n $FW curl -s http://127.0.0.1:9692/metrics | grep -q 'rampart_manager_firewall_policy_commit{firewall="fw-1"} 3' && pass "the manager's /metrics: fw-1 runs commit 3" || fail "manager metrics"

# 5. The firewall restarted keeps commit 3.
kill -TERM $FWPID; wait $FWPID
start_firewall
for i in $(seq 50); do n $FW curl -s -o /dev/null http://127.0.0.1:9681/readyz && break; sleep 0.1; done
[ "$(runs)" = 3 ] && pass "restarted, the firewall runs commit 3 from its policyState" || fail "after restart it runs $(runs)"
code=$(curl_a); [ "$code" = 200 ] && pass "after the restart curl gets HTTP 200" || fail "after restart: curl code $code"

# 6. The flows in the manager's log store (shipped over TCP syslog from the event files).
found() {  # $1 = query; succeeds when GET /logs finds at least one record
    api GET "/logs?$1" "$VIEWER" | $PYTHON -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["count"]>0 else 1)'
}
for i in $(seq 100); do found 'ns=shop&action=deny&rule=deny-web&since=1h' && found 'ns=shop&rule=allow-web&action=allow&since=1h' && break; sleep 0.2; done
found 'ns=shop&action=deny&rule=deny-web&since=1h' && pass "GET /logs finds the denied flow (ns=shop, action=deny)" || fail "no denied flow in the log store"
found 'pod=shop/web-1&app=http&action=allow&since=1h' && pass "GET /logs finds the allowed HTTP flow by pod and application" || fail "no allowed http flow for shop/web-1"
record=$(api GET '/logs?ns=shop&action=deny&since=1h&limit=1' "$VIEWER")
echo "$record" | $PYTHON -c 'import json,sys; r=json.load(sys.stdin)["records"][0]; sys.exit(0 if r["src"]["pod"]=="shop/client-1" and r["dest"]["pod"]=="shop/web-1" and r["eve"]["event_type"]=="flow" else 1)' \
    && pass "the record names both ends' pods and carries the EVE record" || fail "record: $record"
code=$(n $FW curl -s -o /dev/null -w '%{http_code}' 'http://127.0.0.1:9690/logs?ns=shop')
[ "$code" = 401 ] && pass "GET /logs without a token: 401" || fail "GET /logs without a token answered $code"
cli=$(n $FW "$BIN/rampart" logs --manager http://127.0.0.1:9690 --token-file $WORK/viewer.token --ns shop --action deny --since 1h 2>&1)
echo "$cli" | grep -q 'deny .*shop/client-1:[0-9]* → shop/web-1:8000  deny-web' && pass "rampart logs finds the denied flow" || fail "rampart logs: $cli"
n $FW curl -s http://127.0.0.1:9692/metrics | grep -Eq '^rampart_manager_logs_stored_total [1-9]' && pass "the manager counts stored records" || fail "no stored records counted"

# 7. The console of the same manager, in a real browser, in the same namespace.
policy allow-web allow | sed '1i # committed from the console' > $WORK/p4.yaml
console=$(n $FW /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../Tests/Console/map_e2e_test.py" --console http://localhost:9693 \
    --user ops --password-file $WORK/console.password --edge lab/shop/client lab/shop/web --allowed-rule allow-web \
    --denied-rule deny-web --commit-file $WORK/p4.yaml --screenshot "${CONSOLE_SCREENSHOT:-$WORK/map.png}" 2>&1)
status=$?
echo "$console" > $WORK/console.out; echo "$console" | sed "s/^/    console: /"
[ $status = 0 ] && pass "the console shows the workloads, the allowed and denied edge, rules with hits, logs and the policy" || fail "console checks (exit $status)"
echo "$console" | grep -q '^COMMITTED 4$' && wait_runs 4 && pass "the policy committed from the browser (commit 4) runs on the firewall" || fail "console commit: the firewall runs $(runs)"
code=$(curl_a); [ "$code" = 200 ] && pass "under commit 4 curl gets HTTP 200" || fail "commit 4: curl code $code"
api GET '/policy/commits/4' "$VIEWER" | grep -q '"author":"ops"' && pass "commit 4's author is the console user" || fail "commit 4's author"
n $FW curl -s http://127.0.0.1:9692/metrics | grep -Eq '^rampart_manager_flow_sums_records_total [1-9]' && pass "the manager counts the records summed for the map" || fail "no flow sums metric"

if [ $failures -gt 0 ]; then
    echo "--- firewall stderr"; cat $WORK/firewall.err
    echo "--- manager stderr"; cat $WORK/manager.err
    echo "--- events"; cat $WORK/eve.json
    echo "FAILED: $failures check(s)"
    exit 1
fi
[ -n "${E2E_VERBOSE:-}" ] && { cat $WORK/manager.err; echo "$cli"; }
echo "ALL PASSED"
