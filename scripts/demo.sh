#!/usr/bin/env bash
# The main job, live, on one machine: a firewall in front of pods.
#
# A node (a network namespace) runs a real containerd, which starts pods through the CNI
# chain a cluster would use (ptp + host-local, then rampart-cni); the node agent and the
# manager run from Rampart's images under that containerd, the firewall from its image in
# its own namespace, and the local Kubernetes API test server plays the cluster. Pods of
# namespace `shop` (annotated rampart.io/firewall=enabled) are steered through the
# firewall, pods of `plain` are not. A short policy by tags decides:
#
#   shop/client -> shop/web:8000   allowed (rule web-from-client)
#   plain/other -> shop/web:8000   denied  (rule deny-rest)
#   shop/client -> shop/web:9000   reset   (rule no-admin-port: the client gets a TCP reset)
#
# and their flow records, naming the pods, are printed at the end. Everything is removed
# afterwards. Needs root (namespaces, containerd); as another user it says so and shows
# the offline example instead: `rampart inspect` over the bundled capture.
#
#   scripts/demo.sh            # installs what it needs, builds the images, runs the demo
#   scripts/demo.sh --offline  # only the offline example (rampart inspect)
#   scripts/demo.sh --help
#
# Safe to run twice. Network safety: every interface lives in namespaces the demo creates.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

offline() {
    echo "== building rampart (release; the first build takes a few minutes)" >&2
    swift build -c release --product rampart 2>&1 | tail -n 3 >&2
    .build/release/rampart inspect Samples/sample.pcap \
        --policy Samples/policy.yaml --tags Samples/tags.yaml --out eve.json
    echo "EVE JSON lines written to eve.json; first flow:" >&2
    grep -m1 '"event_type":"flow"' eve.json || true
}

case ${1:-} in
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --offline) offline; exit 0 ;;
    "") ;;
    *) echo "demo.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
esac

if [ "$(id -u)" != 0 ]; then
    echo "demo.sh: the live demo needs root (network namespaces and containerd);" \
         "run 'sudo scripts/demo.sh' for it. Showing the offline example instead." >&2
    offline
    exit 0
fi

scripts/setup.sh >&2
images=""
FIREWALL_POLICY=$(cat <<'YAML'
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: demo}
spec:
  zones:
    - {name: pods, networks: [10.244.0.0/16]}
  addressGroups:
    - {name: shop-client, match: "pod:shop/client"}
    - {name: shop-web, match: "ns:shop and label:app=web"}
  rules:
    - {name: web-from-client, source: [shop-client], destination: [shop-web], services: [tcp/8000], action: allow}
    - {name: no-admin-port, destination: [shop-web], services: [tcp/9000], action: reset-client}
    - {name: deny-rest, action: deny}
  defaults:
    intrazone: {action: deny, log: {end: true}}
YAML
)
# shellcheck source=lib/containerd-node.sh
. scripts/lib/containerd-node.sh

echo "== the node: containerd, the node agent and the manager from their images, the firewall" >&2
node_images
node_topology
node_api_server
node_firewall
node_containerd
node_manager
node_agent

echo "== pods: shop/web, shop/client (namespace shop: rampart.io/firewall=enabled), plain/other" >&2
for pod in shop/web shop/client plain/other; do pod_up "${pod%/*}" "${pod#*/}"; done
log "web ${IP[web]}, client ${IP[client]}, other ${IP[other]}"
# Wait until the manager has told the firewall who the pods are.
for name in web client other; do
    for _ in $(seq 50); do
        fw_get "/tags?address=${IP[$name]}" | grep -q '"pod:' && break
        sleep 0.2
    done
done
serve_http web

echo "== traffic" >&2
try() { # FROM TO PORT LOCAL-PORT TEXT
    local out
    out=$(in_pod "$1" curl -s -o /dev/null -w '%{http_code} %{errormsg}' --local-port "$4" --connect-timeout 2 --max-time 3 \
        "http://${IP[$2]}:$3/") || true
    case $out in
        200*) printf '  %-32s HTTP 200\n' "$5" ;;
        *) printf '  %-32s no answer: %s\n' "$5" "${out#000 }" ;;
    esac
}
try client web 8000 42001 "shop/client -> shop/web:8000"
try other web 8000 42002 "plain/other -> shop/web:8000"
try client web 9000 42003 "shop/client -> shop/web:9000"

# The firewall writes a session's record when it ends; stopping the firewall ends them all.
stop_pid "$FIREWALL_PID"; FIREWALL_PID=""
echo "== the firewall's flow records (EVE JSON, one per session; the pods named by their tags)" >&2
python3 - "$WORK/eve.json" <<'PY'
import json, sys
print(f"  {'source pod':14} {'destination':14} {'port':>5}  {'application':12} {'action':13} rule")
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event_type") != "flow" or r.get("src_port") not in (42001, 42002, 42003):
        continue
    x = r.get("rampart", {})
    pod = lambda tags: next((t[4:] for t in tags if t.startswith("pod:")), "?")
    print(f"  {pod(x.get('src_tags', [])):14} {pod(x.get('dest_tags', [])):14} {r['dest_port']:>5}  "
          f"{r.get('app_proto', '-'):12} {x.get('action', '?'):13} {x.get('rule', '?')}")
PY
echo "== done: everything the demo made is removed now" >&2
