#!/usr/bin/env bash
# How a big tag batch (a manager's resync of 200,000 pods) affects forwarding (issue 19),
# in a network namespace this script creates and removes (root only; loopback inside it):
# rampart-firewall with 2 workers; a probe sends one tunnelled UDP datagram per
# millisecond through it and times each answer (scripts/lib/tunnel_probe.py); after 1 s a
# 200,000-address resync (3 tags each, ~15 MB) is POSTed to /tags. Prints the POST time,
# the time until every update was applied, the firewall's RSS before and after, and the
# probe's median, p99 and longest round trip.
#
#   swift build -c release --product rampart-firewall
#   scripts/bench-tag-batch.sh .build/release/rampart-firewall
set -euo pipefail
FIREWALL=$(readlink -f "${1:?usage: bench-tag-batch.sh path/to/rampart-firewall}")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NS=rtb-$$
WORK=$(mktemp -d /tmp/rampart-tagbench.XXXXXX)
cleanup() {
    [ -n "${FW_PID:-}" ] && kill "$FW_PID" 2>/dev/null && wait "$FW_PID" 2>/dev/null || true
    ip netns del $NS 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
ip netns add $NS
ip netns exec $NS ip link set lo up
n() { ip netns exec $NS "$@"; }

cat > $WORK/fw.yaml <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: tag-bench}
spec:
  listen: 127.0.0.1:16080
  admin: 127.0.0.1:19680
  probes: 127.0.0.1:19681
  workers: 2
  events: $WORK/eve.json
  returnPort: source
  tunnelSourceNetworks: [127.0.0.0/8]   # the probe, on loopback
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: tag-bench}
spec:
  zones:
    - {name: shop, tags: "ns:shop"}
    - {name: probe-a, networks: [10.250.0.1/32]}
    - {name: probe-b, networks: [10.250.0.2/32]}
  rules:
    - {name: shop-web, to: [shop], services: [tcp/80], action: allow}
    - {name: probe, from: [probe-a], to: [probe-b], action: allow}
YAML
python3 - "$WORK/batch.json" <<'PY'
import json, sys
updates = [{"address": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
            "tags": ["ns:shop" if i % 2 else "ns:other", f"pod:shop/web-{i}", f"node:w-{i % 50}"]} for i in range(200000)]
open(sys.argv[1], "w").write(json.dumps({"sequence": 1, "replace": True, "updates": updates}, separators=(",", ":")))
PY
ip netns exec $NS "$FIREWALL" --config $WORK/fw.yaml 2> $WORK/fw.err &
FW_PID=$!
for _ in $(seq 100); do n curl -s -o /dev/null http://127.0.0.1:19681/readyz && break; sleep 0.1; done
rss() { awk -v k="$1" '$1 == k":" { print $2 }' /proc/$FW_PID/status; }
echo "firewall RSS before: $(rss VmRSS) kB"
n python3 "$HERE/lib/tunnel_probe.py" 8 > $WORK/probe.out &
PROBE=$!
sleep 1
start=$(date +%s.%N)
n curl -s -o /dev/null -w 'POST /tags: %{http_code} in %{time_total} s\n' -X POST --data-binary @$WORK/batch.json http://127.0.0.1:19680/tags
applied=0
for _ in $(seq 600); do
    applied=$(n curl -s http://127.0.0.1:19681/metrics | awk '$1 == "rampart_tag_updates_total" { print $2 }')
    [ "${applied:-0}" -ge 200000 ] && break
    sleep 0.05
done
echo "applied $applied updates in $(echo "$(date +%s.%N) - $start" | bc) s (POST included)"
wait $PROBE
echo "firewall RSS after: $(rss VmRSS) kB (peak $(rss VmHWM) kB)"
cat $WORK/probe.out
