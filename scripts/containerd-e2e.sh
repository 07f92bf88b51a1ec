#!/usr/bin/env bash
# End-to-end test with a real container runtime (root only): containerd (Debian's 1.6, with
# runc) driven over its CRI gRPC API exactly as the kubelet drives it, so that containerd
# itself runs the CNI chain (ptp + host-local, then rampart-cni) with the K8S_POD_* CNI_ARGS
# of kubelet-made pods. The node agent and the manager run from their images under this
# containerd (host network, the Helm chart's securityContext and host paths); the firewall
# runs from its image's binary in its own namespace; the local Kubernetes API test server
# (Tests/KubeAPIServer) is the cluster.
#
#   scripts/containerd-e2e.sh                         # builds the images (scripts/images.sh) first
#   scripts/containerd-e2e.sh --images .build-images/oci   # use these OCI archives as they are
#   CONTAINERD_E2E_KEEP=1 scripts/containerd-e2e.sh   # keep the work folder (logs) afterwards
#
# Checks:
#   - an annotated pod's traffic (namespace rampart.io/firewall=enabled) crosses the firewall:
#     its flow records name the pods (src_tags/dest_tags pod:shop/client, pod:shop/web) with
#     the policy's rule; a pod of a plain namespace is denied going to it (deny-rest, named);
#   - traffic between two pods of a plain namespace does not cross it (no flow record);
#   - StopPodSandbox/RemovePodSandbox leave no rule, route, address, link, host-local
#     reservation, plugin record, libcni cache entry or network namespace behind
#     (`ip rule`, `ip route show table all`, both families, and the folders, before and after);
#   - 50 sandboxes created and removed in a row leave the node as it was;
#   - RunPodSandbox latency p50/p99 over 50 sandboxes with rampart-cni in the chain and 50
#     without (same ptp primary; runtime handler "bare" has its own CNI folder), created
#     alternately so both see the same load; printed (docs/PERFORMANCE.md keeps the figures).
#
# Network safety: containerd, and so every CNI plugin and container it starts, runs inside
# the node namespace this script creates (nsenter --net), in a private mount namespace with
# its own sysfs. Veths are created inside test namespaces; no root-namespace interface is
# named or touched; traffic goes to loopback or to the test's namespaces only. Everything
# (processes, cgroups, namespaces, mounts, files) is removed on exit, also after a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

images=""
while (($# > 0)); do
    case $1 in
        --images) images=${2:?--images needs a folder with rampart-node.tar, rampart-manager.tar, rampart-firewall.tar}; shift 2 ;;
        -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "containerd-e2e.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
    esac
done

[ "$(id -u)" = 0 ] || { echo "SKIP: containerd-e2e.sh needs root (network namespaces, containerd)"; exit 77; }
for tool in containerd containerd-shim-runc-v2 runc ctr umoci skopeo gcc ip nsenter unshare curl python3 findmnt; do
    command -v "$tool" >/dev/null || { echo "containerd-e2e.sh: $tool is missing; run scripts/setup.sh" >&2; exit 1; }
done
for plugin in ptp host-local loopback; do
    [ -x /usr/lib/cni/$plugin ] || { echo "containerd-e2e.sh: /usr/lib/cni/$plugin is missing; run scripts/setup.sh" >&2; exit 1; }
done
python3 -c 'import grpc, grpc_tools' 2>/dev/null || { echo "containerd-e2e.sh: grpcio/grpcio-tools missing; run scripts/setup.sh" >&2; exit 1; }

# shellcheck source=lib/containerd-node.sh
FIREWALL_POLICY=$(cat <<'YAML'
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: containerd-e2e}
spec:
  zones:
    - {name: pods, networks: [10.244.0.0/16]}
  addressGroups:
    - {name: shop-client, match: "pod:shop/client"}
    - {name: shop-web, match: "ns:shop and label:app=web"}
  rules:
    - {name: web-from-client, source: [shop-client], destination: [shop-web], services: [tcp/8000], action: allow}
    - {name: deny-rest, action: deny}
YAML
)
. scripts/lib/containerd-node.sh

node_images
node_topology
node_api_server
node_firewall
node_containerd
node_manager

# --- 1. The primary alone leaves nothing behind (so the snapshots can see what does) ------
# containerd's own loopback network comes first; then the conflist's chain.
plugins=$(cri cni-plugins | json 'd["networks"]')
[ "$plugins" = "[['loopback'], ['ptp']]" ] || die "containerd loaded CNI networks $plugins, expected [['loopback'], ['ptp']]"
pristine=$(snapshot)
ncri cycle --count 10 --namespace shop --prefix primary >/dev/null || die "10 sandboxes with ptp + host-local failed"
after=$(snapshot)
[ "$pristine" = "$after" ] || die "10 sandboxes with ptp + host-local alone changed the node: $(differ "$pristine" "$after")"
pass "10 sandboxes with the primary alone left the node as it was"

node_agent

# --- 3. Pods: two in an annotated namespace, two in a plain one ----------------------------
log "pods shop/web, shop/client, plain/other, plain/peer"
for pod in shop/web shop/client plain/other plain/peer; do pod_up "${pod%/*}" "${pod#*/}"; done
log "IPs: web ${IP[web]}, client ${IP[client]}, other ${IP[other]}, peer ${IP[peer]}"
rules=$(n "$NODE" ip rule)
for name in web client; do
    echo "$rules" | grep -q "to ${IP[$name]} lookup 6080" && pass "shop/$name is steered (rule to ${IP[$name]} lookup 6080)" \
        || fail "shop/$name is not steered: $rules"
done
for name in other peer; do
    echo "$rules" | grep -q "${IP[$name]} .*lookup 6080" && fail "plain/$name is steered: $rules" || pass "plain/$name is not steered"
done
# containerd ran the chain with the sandbox's id and the pod's K8S_POD_NAMESPACE/K8S_POD_NAME.
for pod in shop/web plain/other; do
    ns=${pod%/*} name=${pod#*/}
    grep -F "\"containerID\":\"${SANDBOX[$name]}\"" "$HOST/var/log/rampart/cni.log" | grep -qF "\"namespace\":\"$ns\",\"pod\":\"$name\"" \
        && pass "containerd called rampart-cni for $pod with its sandbox id and K8S_POD_* arguments" \
        || fail "the plugin's log has no decision for $pod with sandbox ${SANDBOX[$name]}: $(tail -n 5 "$HOST/var/log/rampart/cni.log")"
done
# The manager pushes each pod's identity to the firewall once the pod has its IP.
for pair in "web:pod:shop/web" "client:pod:shop/client" "other:pod:plain/other"; do
    name=${pair%%:*} tag=${pair#*:}
    ok=no
    for _ in $(seq 50); do
        fw_get "/tags?address=${IP[$name]}" | grep -qF "\"$tag\"" && { ok=yes; break; }
        sleep 0.2
    done
    [ $ok = yes ] || die "the manager did not push $tag for ${IP[$name]}: $(fw_get "/tags?address=${IP[$name]}")"
done
pass "the manager (from its image) pushed the pods' tags to the firewall"

# Workloads: processes in the sandboxes' network namespaces (entered through the pause
# process), a small HTTP server in web and in peer.
serve_http web peer
code=$(request client web 41001); [ "$code" = 200 ] && pass "shop/client -> shop/web: HTTP 200 through the firewall" || fail "shop/client -> shop/web: got $code, expected 200"
code=$(request other web 41002); [ "$code" != 200 ] && pass "plain/other -> shop/web: denied ($code)" || fail "plain/other -> shop/web was not denied"
code=$(request other peer 41003); [ "$code" = 200 ] && pass "plain/other -> plain/peer: HTTP 200, not steered" || fail "plain/other -> plain/peer: got $code, expected 200"
for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
SERVER_PIDS=()
# The firewall writes a session's flow record when the session ends or the firewall stops,
# with the tags its addresses have then: restart it now, while the pods still exist (their
# removal takes their tags away), and keep it running for the rest.
stop_pid "$FIREWALL_PID"
start_firewall

# --- 4. StopPodSandbox / RemovePodSandbox leave nothing behind ----------------------------
for pod in shop/web shop/client plain/other plain/peer; do
    ns=${pod%/*} name=${pod#*/}
    ncri pod-down "${SANDBOX[$name]}" --name "$name" --namespace "$ns" >/dev/null || fail "Stop/RemovePodSandbox $pod failed"
done
after=$(snapshot)
[ "$baseline" = "$after" ] && pass "after Stop/RemovePodSandbox the node equals its baseline (rules, routes, links, records)" \
    || fail "Stop/RemovePodSandbox left things behind: $(differ "$baseline" "$after")"

# --- 5. 50 sandboxes in a row with rampart-cni (steered: namespace shop), each turn beside
# one of runtime handler "bare" (same ptp primary, no rampart-cni), for the latency figures.
log "50 + 50 sandboxes (after 5 + 5 not counted): the default chain and the 'bare' handler's, alternating"
ncri cycle --count 50 --warmup 5 --namespace shop --prefix churn --compare bare >"$WORK/bench.json" \
    || fail "50 sandboxes with rampart-cni (and 50 without) failed"
after=$(snapshot)
[ "$baseline" = "$after" ] && pass "50 sandboxes created and removed in a row (with 50 more of the bare chain) left the node as it was" \
    || fail "50 sandboxes left things behind: $(differ "$baseline" "$after")"
steered=$(grep '"event":"steered"' "$HOST/var/log/rampart/cni.log" | grep -c '"pod":"churn-' || true)
[ "$steered" = 55 ] && pass "rampart-cni steered all 55 churn pods" || fail "rampart-cni logged $steered steered churn pods, expected 55"
bare=$(grep -c '"pod":"bare-' "$HOST/var/log/rampart/cni.log" || true)
[ "$bare" = 0 ] && [ -f "$HOST/var/lib/cni/networks/$NETNAME-bare/last_reserved_ip.0" ] \
    && pass "the bare handler's pods ran ptp + host-local only (own network, never rampart-cni)" \
    || fail "the bare handler's chain: $bare rampart-cni log lines for bare pods (expected 0), its host-local folder: $(ls "$HOST/var/lib/cni/networks")"
state=$(cri container-state "$AGENT" | json 'd["state"]')
[ "$state" = CONTAINER_RUNNING ] && pass "the node agent's container is still running" || fail "the node agent's container is $state after the run"

# --- 6. The flow records (written when the firewall stops) -----------------------------------
stop_pid "$FIREWALL_PID"; FIREWALL_PID=""
python3 - "$WORK/eve.json" <<'PY' || failures=$((failures + 1))
import json, sys
flows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event_type") == "flow" and "src_port" in r:
        flows[r["src_port"]] = r.get("rampart", {})
def check(ok, text):
    print(("PASS: " if ok else "FAIL: ") + text)
    return ok
good = True
f = flows.get(41001)
good &= check(f is not None and f.get("rule") == "web-from-client" and f.get("action") == "allow"
              and "pod:shop/client" in f.get("src_tags", []) and "pod:shop/web" in f.get("dest_tags", []),
              f"flow of shop/client -> shop/web names both pods, rule web-from-client, allow: {f}")
f = flows.get(41002)
good &= check(f is not None and f.get("rule") == "deny-rest" and f.get("action") == "deny"
              and "pod:plain/other" in f.get("src_tags", []) and "pod:shop/web" in f.get("dest_tags", []),
              f"flow of plain/other -> shop/web names both pods, rule deny-rest: {f}")
good &= check(41003 not in flows, f"no flow record for plain/other -> plain/peer (not steered): {flows.get(41003)}")
sys.exit(0 if good else 1)
PY

# --- Figures -------------------------------------------------------------------------------
[ -s "$WORK/bench.json" ] && python3 - "$WORK/bench.json" <<'PY'
import json, sys
figures = json.load(open(sys.argv[1]))
bare, with_rampart = figures["bare"], figures["default"]
print("RunPodSandbox over 50 sandboxes (ms):       p50     p99    mean")
print(f"  ptp + host-local                       {bare['run_p50']:7.1f} {bare['run_p99']:7.1f} {bare['run_mean']:7.1f}")
print(f"  ptp + host-local + rampart-cni (steered){with_rampart['run_p50']:7.1f} {with_rampart['run_p99']:7.1f} {with_rampart['run_mean']:7.1f}")
print(f"  added by rampart-cni                   {with_rampart['run_p50'] - bare['run_p50']:7.1f} {with_rampart['run_p99'] - bare['run_p99']:7.1f}")
PY

if [ "$failures" -gt 0 ]; then
    echo "--- cni.log (last 20 lines)"; tail -n 20 "$HOST/var/log/rampart/cni.log" 2>/dev/null
    echo "--- node agent log (last 30 lines)"; tail -n 30 "$WORK"/pods/kube-system_rampart-node-*/agent/0.log 2>/dev/null
    log "FAILED: $failures check(s)"
    exit 1
fi
log "ALL PASSED"
