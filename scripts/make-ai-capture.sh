#!/usr/bin/env bash
# Records the AI test capture (Tests/Captures/ai.pcap): the real openai and anthropic SDKs
# and the MCP Python SDK's client (Tests/AIServers/ai_client.py) against the local model
# server (Tests/AIServers/ai_server.py), directly, no firewall: OpenAI chat whole and
# streamed, Anthropic streamed, a prompt injection (answered: nothing blocks it here), an
# answer carrying an AWS key id, and an MCP session calling `add` and `delete_everything`.
#
#   scripts/make-ai-capture.sh Tests/Captures/ai.pcap
#
# Two namespaces of its own (aicap-PID-cli / aicap-PID-srv) joined by a veth pair created
# inside the client namespace with its peer moved straight into the server's: the root
# namespace is never touched. Offloads off, so the capture holds wire-sized packets.
set -euo pipefail
OUT=${1:?usage: make-ai-capture.sh OUT.pcap}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 77; }
CLI=aicap-$$-cli
SRV=aicap-$$-srv
WORK=$(mktemp -d /tmp/rampart-aicap.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    ip netns del $CLI 2>/dev/null || true
    ip netns del $SRV 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add $CLI
ip netns add $SRV
ip -n $CLI link add veth0 type veth peer name veth1 netns $SRV
for ns in $CLI $SRV; do ip -n $ns link set lo up; done
ip -n $CLI addr add 10.77.0.1/24 dev veth0
ip -n $SRV addr add 10.77.0.2/24 dev veth1
ip -n $CLI link set veth0 up
ip -n $SRV link set veth1 up
ip netns exec $CLI ethtool -K veth0 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
ip netns exec $SRV ethtool -K veth1 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true

ip netns exec $SRV python3 "$ROOT/Tests/AIServers/ai_server.py" 10.77.0.2 8000 "$WORK/requests.log" >"$WORK/server.log" 2>&1 &
PIDS+=($!)
for i in $(seq 100); do ip netns exec $CLI bash -c 'exec 3<>/dev/tcp/10.77.0.2/8000' 2>/dev/null && break; sleep 0.1; done
ip netns exec $SRV tcpdump -i veth1 --immediate-mode -n -U -s 262144 -w "$WORK/ai.pcap" 2>"$WORK/tcpdump.log" &
TCPDUMP=$!
sleep 1
for scenario in openai-benign openai-stream anthropic-stream openai-injection openai-leak mcp-allowed mcp-denied; do
    ip netns exec $CLI timeout 60 python3 "$ROOT/Tests/AIServers/ai_client.py" http://10.77.0.2:8000 $scenario || true
done
sleep 1
kill -INT $TCPDUMP; wait $TCPDUMP || true
cp "$WORK/ai.pcap" "$OUT"
echo "wrote $OUT: $(tcpdump -r "$OUT" -n 2>/dev/null | wc -l) packets"
