#!/usr/bin/env bash
# AI security profiles inline in the real rampart-firewall (issue 15), in the namespaces of
# scripts/lib/firewall-topology.sh: pod B runs a local model server speaking the OpenAI and
# Anthropic APIs (whole and streamed) and MCP over streamable HTTP (Tests/AIServers/
# ai_server.py); pod A calls it with the real openai and anthropic SDKs and the MCP Python
# SDK's client (Tests/AIServers/ai_client.py), through the tunnel and the firewall.
#
#   scripts/firewall-ai-e2e.sh .build/debug/rampart-firewall
#
# Checks: benign chat passes untouched, whole and streamed, with both SDKs, and leaves no ai
# record; a stream past the profile's maxStreamBytes is ended with an SSE error event that
# each SDK raises on; a prompt injection is blocked before it reaches the model and each SDK raises its
# own PermissionDeniedError (HTTP 403, the API's error JSON); a model outside the allow-list
# is refused; a secret in an answer is alerted (the answer arrives) and logged masked; an
# MCP tool on the allow-list is called, one off it never reaches the server, and a raw
# tools/call off it is answered with a JSON-RPC error carrying the request's id; a listed
# malware URL in a streamed answer is alerted with its category (urlFiltering); the ai
# records name the provider, operation, model, detections and the tags of both pods. Never touches
# the root namespace's interfaces; removes everything it made.
set -u
FIREWALL=${1:?usage: firewall-ai-e2e.sh path/to/rampart-firewall}
FIREWALL=$(readlink -f "$FIREWALL")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=$(command -v python3)
for tool in ip curl timeout $PYTHON; do command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }; done
for module in openai anthropic mcp; do
    $PYTHON -c "import $module" 2>/dev/null || { echo "SKIP: the $module Python package is missing (scripts/setup.sh installs it)"; exit 77; }
done

source "$(dirname "${BASH_SOURCE[0]}")/lib/firewall-e2e.sh"
firewall_e2e_begin rpai ai

set -e
firewall_topology_up
steer on
set +e

echo evil.example > $WORK/malware.txt
cat > $WORK/firewall.yaml <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: e2e-ai}
spec:
  listen: 0.0.0.0:6080
  admin: 127.0.0.1:9680
  vnis: [7]
  tunnelSourceNetworks: [10.200.0.0/30]
  events: $WORK/eve.json
  lists:
    - {name: malware, path: malware.txt}
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: e2e}
spec:
  zones:
    - {name: pod-a, networks: [10.244.1.10/32]}
    - {name: pod-b, networks: [10.244.1.20/32]}
  aiSecurityProfiles:
    - name: ai-e2e
      actions: {prompt-injection: block, model-not-allowed: block, tool-not-allowed: block, secret: alert, personal-data: alert,
                runaway-stream: block, url: alert}
      models: ["gpt-4o*", "claude-*"]
      tools: [add]
      limits: {maxStreamBytes: 12000}
      urlFiltering: model-links
  urlFilteringProfiles:
    - name: model-links
      categories: {malware: block}
      unknown: allow
  rules:
    - name: allow-llm
      from: [pod-a]
      to: [pod-b]
      services: [tcp/8000]
      action: allow
      profiles: [ai-e2e]
  defaults:
    intrazone: {action: allow}
    interzone: {action: deny}
YAML

ip netns exec $FW "$FIREWALL" --config $WORK/firewall.yaml --workers 1 >> $WORK/firewall.out 2>> $WORK/firewall.err &
FWPID=$!; PIDS+=($FWPID)
ip netns exec $PODB $PYTHON "$ROOT/Tests/AIServers/ai_server.py" 10.244.1.20 8000 $WORK/requests.log > $WORK/server.out 2>&1 &
PIDS+=($!)
ready=no
for i in $(seq 150); do
    if n $FW curl -s -o /dev/null http://127.0.0.1:9680/readyz && n $PODB bash -c 'exec 3<>/dev/tcp/10.244.1.20/8000' 2>/dev/null; then
        ready=yes; break
    fi
    sleep 0.2
done
[ $ready = yes ] || { echo "FAIL: the firewall or the model server did not start"; cat $WORK/firewall.err $WORK/server.out; exit 1; }
post_tags() { n $FW curl -s -o /dev/null -w '%{http_code}' -X POST --data "$1" http://127.0.0.1:9680/tags; }
[ "$(post_tags '{"sequence": 1, "updates": [{"address": "10.244.1.10", "tags": ["ns:agents", "pod:agent-1"]}, {"address": "10.244.1.20", "tags": ["ns:models", "pod:llm-1"]}]}')" = 202 ] \
    || fail "tagging the pods"

# client SCENARIO: the client's line in $WORK/client.out; its status in $?.
client() { n $PODA timeout 60 $PYTHON "$ROOT/Tests/AIServers/ai_client.py" http://10.244.1.20:8000 "$1" > $WORK/client.out 2>&1; }
expect_ok() {  # SCENARIO WHAT
    client "$1"; local status=$?
    [ $status = 0 ] && grep -q '^OK' $WORK/client.out && pass "$2: $(head -c 200 $WORK/client.out)" \
        || fail "$2 (status $status): $(tail -c 600 $WORK/client.out)"
}
records_before() { grep -c '"event_type":"ai"' $WORK/eve.json 2>/dev/null || echo 0; }

expect_ok openai-benign "OpenAI SDK, benign chat, whole answer"
expect_ok openai-stream "OpenAI SDK, benign chat, streamed and reassembled by the SDK"
expect_ok anthropic-benign "Anthropic SDK, benign message, whole answer"
expect_ok anthropic-stream "Anthropic SDK, benign message, streamed"
expect_ok mcp-allowed "MCP client: initialize, tools/list, tools/call add (on the allow-list)"
expect_ok openai-injection "OpenAI SDK, prompt injection: blocked, PermissionDeniedError 403 with the API's error JSON"
expect_ok anthropic-injection "Anthropic SDK, prompt injection: blocked, PermissionDeniedError 403"
expect_ok openai-model "OpenAI SDK, model outside the allow-list: refused"
expect_ok openai-leak "OpenAI SDK, an answer carrying a secret: alerted, delivered"
expect_ok mcp-denied "MCP client: tools/call delete_everything (off the allow-list): refused"
expect_ok openai-runaway "OpenAI SDK, a stream past maxStreamBytes: text first, then the SDK raises on the firewall's SSE error event"
expect_ok openai-link "OpenAI SDK, a streamed answer with a listed malware URL: alerted, delivered"
mcp_error=$(n $PODA curl -s -m 10 -X POST -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    --data '{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"delete_everything","arguments":{}}}' \
    http://10.244.1.20:8000/mcp)
echo "$mcp_error" | grep -q '"jsonrpc":"2.0","id":77,"error":{"code":-32001' \
    && pass "a raw MCP tools/call off the allow-list: a JSON-RPC error with the request's id 77" \
    || fail "the MCP error does not carry the request's id: $mcp_error"
expect_ok anthropic-runaway "Anthropic SDK, a stream past maxStreamBytes: the SDK raises on the SSE error event"

grep -q 'Ignore all previous instructions' $WORK/requests.log && fail "the model server received the injection" \
    || pass "no injection reached the model server"
grep -q '"o3-pro' $WORK/requests.log && fail "the model server received the request for o3-pro" || pass "the refused model's request never reached the server"
grep 'tools/call' $WORK/requests.log | grep -q 'delete_everything' \
    && fail "the MCP server received tools/call delete_everything" || pass "tools/call delete_everything never reached the MCP server"
grep -q 'tools/call' $WORK/requests.log && pass "tools/call add reached the MCP server" || fail "no tools/call reached the MCP server"
[ "$(grep -c 'What is the capital of France' $WORK/requests.log)" -ge 4 ] && pass "the benign requests reached the server" || fail "benign requests missing: $(wc -l < $WORK/requests.log)"

kill -TERM $FWPID; wait $FWPID; FWPID=""
# App-ID writes one ai record per session (the API it named); the profile one per message
# with detections: those carry "detections".
ai=$(grep '"event_type":"ai"' $WORK/eve.json | grep '"detections"')
echo "$ai" | grep -q 'What is the capital' && fail "an ai record carries prompt text" || pass "ai records carry no prompt text"
echo "$ai" | grep '"provider":"openai-compatible"' | grep '"operation":"chat.completions"' | grep '"model":"gpt-4o-mini"' \
    | grep '"kind":"prompt-injection"' | grep -q '"action":"blocked"' \
    && pass "the OpenAI injection's record: provider, operation, model, prompt-injection, blocked" || fail "no OpenAI injection record: $ai"
echo "$ai" | grep '"provider":"anthropic"' | grep '"kind":"prompt-injection"' | grep -q '"action":"blocked"' \
    && pass "the Anthropic injection's record" || fail "no Anthropic injection record"
echo "$ai" | grep '"kind":"model-not-allowed"' | grep -q '"model":"o3-pro"' && pass "the refused model's record" || fail "no model-not-allowed record"
echo "$ai" | grep '"direction":"response"' | grep '"kind":"secret"' | grep '"span":"AKIA\*\*\*\*\*\*\*\*\*\*\*\*\*\*LE"' | grep -q '"action":"alerted"' \
    && pass "the secret in the answer: alerted, span masked (AKIA**************LE)" || fail "no masked secret record: $ai"
grep -q 'AKIAIOSFODNN7EXAMPLE' $WORK/eve.json && fail "the secret appears unmasked in the events" || pass "the secret never appears unmasked in the events"
echo "$ai" | grep '"kind":"tool-not-allowed"' | grep -q '"provider":"mcp"' && pass "the refused MCP tool's record" || fail "no tool-not-allowed record"
echo "$ai" | grep '"src_tags":\["ns:agents","pod:agent-1"\]' | grep -q '"dest_tags":\["ns:models","pod:llm-1"\]' \
    && pass "the ai records name both pods (src_tags, dest_tags)" || fail "ai records without both pods' tags: $(echo "$ai" | head -1)"
[ "$(echo "$ai" | grep -c '"kind":"runaway-stream"')" -eq 2 ] && pass "two runaway-stream records (OpenAI, Anthropic)" || fail "runaway records: $(echo "$ai" | grep -c runaway-stream)"
echo "$ai" | grep '"direction":"response"' | grep '"kind":"url","type":"malware"' | grep '"span":"http://evil.example\*\*\*\*' \
    | grep -q '"action":"alerted"' && pass "the malware URL in the answer: alerted, its category and host named, path masked" \
    || fail "no url record: $ai"
grep -q 'payload.exe?token' $WORK/eve.json && fail "the URL's path appears unmasked in the events" || pass "the URL's path is masked in the events"
[ "$(echo "$ai" | grep -c .)" -eq 9 ] && pass "exactly nine ai records with detections (benign traffic leaves none)" || fail "$(echo "$ai" | grep -c .) ai records with detections"

if [ $failures -gt 0 ]; then
    echo "--- firewall stderr"; tail -30 $WORK/firewall.err
    echo "--- events"; grep '"event_type":"ai"' $WORK/eve.json
    echo "--- requests"; cat $WORK/requests.log
    echo "FAILED: $failures check(s)"
    exit 1
fi
echo "ALL PASSED"
