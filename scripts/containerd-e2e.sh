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

START=$(date +%s)
ID=$$
NODE=rc-cnode-$ID                  # the node's network namespace: containerd, plugins, agent, manager, API server
FW=rc-cfw-$ID                      # the firewall's
NODE_NAME=worker-$ID
NETNAME=rampart-e2e-$ID            # the CNI network's name (libcni's cache files carry it)
CGROUP=rampart-e2e-$ID             # cgroup parent of every sandbox
WORK=$(mktemp -d /tmp/rampart-containerd-e2e.XXXXXX)
HOST=$WORK/host                    # the node's file system: where the chart's hostPaths point
SOCK=$WORK/containerd/containerd.sock
GEN=$WORK/gen                      # the CRI stubs, generated from Tests/Containerd/runtime.proto
CONTAINERD_PID="" FIREWALL_PID="" API_PID=""
SERVER_PIDS=()
failures=0

log() { printf '[%3ds] %s\n' $(($(date +%s) - START)) "$*"; }
pass() { log "PASS: $*"; }
fail() { log "FAIL: $*"; failures=$((failures + 1)); }
# A fatal failure: what failed, the logs that say why, then cleanup (trap) and exit 1.
die() {
    log "FAIL: $*"
    for f in containerd.log firewall.log api-server.log cni.log; do
        [ -s "$WORK/$f" ] && { echo "--- $f (last 30 lines)"; tail -n 30 "$WORK/$f"; }
    done
    for f in "$WORK"/pods/*/*/0.log; do [ -s "$f" ] && { echo "--- $f (last 30 lines)"; tail -n 30 "$f"; }; done
    exit 1
}
n() { ip netns exec "$@"; }
# The kubelet's side (Tests/Containerd/cri_driver.py). `ncri` runs it in the node namespace,
# where the API test server listens on the loopback; `cri` needs only containerd's socket.
cri_command() { echo python3 "$ROOT/Tests/Containerd/cri_driver.py" --socket "$SOCK" --gen "$GEN" --node "$NODE_NAME" \
        --cgroup-parent "/$CGROUP" --logs "$WORK/pods" ${CONTROL:+--control "$CONTROL"}; }
cri() { $(cri_command) "$@"; }
ncri() { n "$NODE" $(cri_command) "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

stop_pid() { # PID: TERM, then KILL after 5 s
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Processes this test's containerd started that outlive it: its shims (their command line
# names our socket) and whatever is left in our cgroups (containers whose shim died).
own_processes() {
    local p
    for p in /proc/[0-9]*; do
        { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- "-address $SOCK " && echo "${p#/proc/}"
    done
    cat /sys/fs/cgroup/*/"$CGROUP"/cgroup.procs /sys/fs/cgroup/*/"$CGROUP"/*/cgroup.procs \
        /sys/fs/cgroup/*/"$CGROUP"/*/*/cgroup.procs 2>/dev/null || true
}

cleanup() {
    local status=$? pid dir
    set +e
    trap - EXIT INT TERM
    log "cleanup"
    if [ -n "$CONTAINERD_PID" ] && kill -0 "$CONTAINERD_PID" 2>/dev/null; then
        # As the kubelet would: stop and remove every container and sandbox (CNI DEL runs).
        timeout 90 $(cri_command) cleanup >"$WORK/cleanup.json" 2>&1 || log "WARN: CRI cleanup: $(tail -c 600 "$WORK/cleanup.json")"
    fi
    stop_pid "$CONTAINERD_PID"
    for pid in $(own_processes | sort -u); do kill -KILL "$pid" 2>/dev/null; done
    for pid in "${SERVER_PIDS[@]}" "$FIREWALL_PID" "$API_PID"; do stop_pid "$pid"; done
    sleep 0.2
    # Our cgroups, deepest first (empty now).
    for dir in $(find /sys/fs/cgroup/*/"$CGROUP" -depth -type d 2>/dev/null); do rmdir "$dir" 2>/dev/null; done
    # The pods' network namespaces, containerd's mounts and the shims' mount namespace went
    # with the last process of the private mount namespace; the test's own namespaces go now.
    for ns in "$NODE" "$FW"; do ip netns del "$ns" 2>/dev/null; done
    # libcni's result cache (containerd 1.6 has no setting for its folder): only our network's
    # entries, and only those a DEL did not remove.
    rm -f /var/lib/cni/results/"$NETNAME"-* 2>/dev/null
    # Nothing of ours may be mounted in this namespace; unmount defensively before removing.
    findmnt -rn -o TARGET | grep -F "$WORK" | sort -r | while read -r dir; do umount -l "$dir"; done
    if [ -n "${CONTAINERD_E2E_KEEP:-}" ]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Images -----------------------------------------------------------------------------
if [ -z "$images" ]; then
    log "building the images (scripts/images.sh)"
    scripts/images.sh firewall node manager >"$WORK/images.log" 2>&1 || { cat "$WORK/images.log"; die "scripts/images.sh failed"; }
    images=.build-images/oci
fi
mkdir -p "$WORK/images"
for image in rampart-node rampart-manager rampart-firewall; do
    [ -f "$images/$image.tar" ] || die "$images/$image.tar is missing (run scripts/images.sh)"
    cp "$images/$image.tar" "$WORK/images/"   # a rebuild elsewhere must not change them under us
done
VERSION=$(sed -n 's/.*current = "\([0-9][^"]*\)".*/\1/p' Sources/RampartVersion/RampartVersion.swift)
NODE_IMAGE=localhost/rampart/rampart-node:$VERSION
MANAGER_IMAGE=localhost/rampart/rampart-manager:$VERSION
PAUSE_IMAGE=localhost/rampart-e2e/pause:1

# The sandbox image, built here: a static pause process and nothing else (no pull, ever).
log "building the pause image"
mkdir -p "$WORK/pause"
gcc -Os -static -o "$WORK/pause/pause" Tests/Containerd/pause.c
umoci init --layout "$WORK/pause/oci" >/dev/null
umoci new --image "$WORK/pause/oci:1" >/dev/null
umoci unpack --image "$WORK/pause/oci:1" "$WORK/pause/bundle" >/dev/null
install -m 0755 "$WORK/pause/pause" "$WORK/pause/bundle/rootfs/pause"
umoci repack --image "$WORK/pause/oci:1" "$WORK/pause/bundle" >/dev/null
umoci config --image "$WORK/pause/oci:1" --config.entrypoint /pause --config.user 65535:65535 >/dev/null
skopeo copy --quiet "oci:$WORK/pause/oci:1" "oci-archive:$WORK/images/pause.tar:$PAUSE_IMAGE"
rm -rf "$WORK/pause/bundle"

# The firewall's binary, from its image (the tunnel needs its own namespace, which a
# host-network container under this containerd would not have).
skopeo copy --quiet "oci-archive:$WORK/images/rampart-firewall.tar" "oci:$WORK/firewall-oci:fw"
umoci unpack --image "$WORK/firewall-oci:fw" "$WORK/firewall-image" >/dev/null
FIREWALL_BIN=$WORK/firewall-image/rootfs/usr/local/bin/rampart-firewall
[ -x "$FIREWALL_BIN" ] || die "the firewall image has no /usr/local/bin/rampart-firewall"

# --- The CRI client ---------------------------------------------------------------------
mkdir -p "$GEN"
python3 -m grpc_tools.protoc -I Tests/Containerd --python_out="$GEN" --grpc_python_out="$GEN" Tests/Containerd/runtime.proto \
    || die "could not generate the CRI stubs from Tests/Containerd/runtime.proto"

# --- Topology: node and firewall namespaces, one veth between them ------------------------
log "namespaces $NODE and $FW"
ip netns add "$NODE"
ip netns add "$FW"
n "$NODE" ip link set lo up
n "$FW" ip link set lo up
for ns in "$NODE" "$FW"; do n "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
n "$NODE" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
n "$NODE" ip link add nfw mtu 1600 type veth peer name fw0 mtu 1600
n "$NODE" ip link set fw0 netns "$FW"
n "$NODE" ip addr add 10.200.0.1/30 dev nfw
n "$NODE" ip link set nfw up
n "$FW" ip addr add 10.200.0.2/30 dev fw0
n "$FW" ip link set fw0 up

# The node's folders, as the chart's hostPaths name them.
mkdir -p "$HOST"/opt/cni/bin "$HOST"/etc/cni/net.d "$HOST"/run/rampart "$HOST"/var/lib/rampart \
    "$HOST"/var/log/rampart "$HOST"/var/lib/cni/rampart "$HOST"/var/lib/cni/networks "$HOST"/var/lib/rampart-manager \
    "$WORK"/pods "$WORK"/containerd
chown 65532:65532 "$HOST"/var/lib/rampart-manager
for plugin in ptp host-local loopback; do ln -s /usr/lib/cni/$plugin "$HOST/opt/cni/bin/$plugin"; done
# The primary's conflist, as a cluster's network add-on writes it.
cat >"$HOST/etc/cni/net.d/10-ptp.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$NETNAME",
  "plugins": [
    {"type": "ptp", "ipMasq": false, "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.1.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$HOST/var/lib/cni/networks"}}
  ]
}
JSON
# The "bare" runtime handler's: the same primary, its own network (name, subnet), no rampart-cni.
mkdir -p "$HOST/etc/cni/net.d-bare"
sed -e "s/\"name\": \"$NETNAME\"/\"name\": \"$NETNAME-bare\"/" -e 's#10.244.1.0/24#10.244.2.0/24#' \
    "$HOST/etc/cni/net.d/10-ptp.conflist" >"$HOST/etc/cni/net.d-bare/10-ptp.conflist"

# --- The API test server, in the node namespace -------------------------------------------
log "API test server"
Tests/KubeAPIServer/make-certs.sh "$WORK/certs" >/dev/null
(exec ip netns exec "$NODE" python3 Tests/KubeAPIServer/kube_api_server.py --certs "$WORK/certs" --port 0 --control-port 0 \
    --token "token-$ID" --write-ports "$WORK/ports.json" --write-kubeconfig "$WORK/kubeconfig" \
    >"$WORK/api-server.log" 2>&1 </dev/null) &
API_PID=$!
for _ in $(seq 100); do [ -s "$WORK/ports.json" ] && break; sleep 0.1; done
[ -s "$WORK/ports.json" ] || die "the API test server did not start"
CONTROL=http://127.0.0.1:$(json 'd["control"]' <"$WORK/ports.json")
n "$NODE" curl -sf -X POST "$CONTROL/objects" -d "[
  {\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"shop\", \"annotations\": {\"rampart.io/firewall\": \"enabled\"}}},
  {\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"plain\"}},
  {\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"kube-system\"}},
  {\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"$NODE_NAME\"}, \"status\": {\"addresses\": [{\"type\": \"InternalIP\", \"address\": \"10.200.0.1\"}]}}
]" >/dev/null || die "could not write the namespaces to the API test server"

# --- The firewall, policy by tags ---------------------------------------------------------
log "firewall (from the image's binary) in $FW"
cat >"$WORK/firewall.yaml" <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: containerd-e2e}
# The admin API on the firewall's own address, for the agent's health checks and the
# manager's tag pushes (in a cluster: the firewall Service).
spec: {listen: 0.0.0.0:6080, admin: 10.200.0.2:9680, vnis: [7], events: $WORK/eve.json, workers: 1}
---
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
start_firewall() {
    (exec ip netns exec "$FW" "$FIREWALL_BIN" --config "$WORK/firewall.yaml" >>"$WORK/firewall.log" 2>&1 </dev/null) &
    FIREWALL_PID=$!
    for _ in $(seq 100); do n "$FW" curl -sf -o /dev/null http://10.200.0.2:9680/healthz && break; sleep 0.1; done
    n "$FW" curl -sf -o /dev/null http://10.200.0.2:9680/healthz || die "the firewall's admin API does not answer"
}
start_firewall

# --- containerd, in the node namespace ----------------------------------------------------
# The overlay snapshotter needs overlayfs on the file system under the work folder (not
# available when that is itself an overlay, as in some CI sandboxes); fall back to native
# (plain copies: slower for big images, the same for the pause image).
SNAPSHOTTER=native
mkdir -p "$WORK/ovl"/{l,u,w,m}
if unshare --mount sh -c "mount -t overlay overlay -o lowerdir=$WORK/ovl/l,upperdir=$WORK/ovl/u,workdir=$WORK/ovl/w $WORK/ovl/m" 2>/dev/null; then
    SNAPSHOTTER=overlayfs
fi
rm -rf "$WORK/ovl"
cat >"$WORK/containerd/config.toml" <<TOML
version = 2
root = "$WORK/containerd/root"
state = "$WORK/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = ""
  level = "info"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$WORK/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  # Never below this process's own oom_score_adj: root here may lack CAP_SYS_RESOURCE (it
  # does on the CI machines), and runc then cannot set the sandbox's -998 ("failed to
  # update /proc/self/oom_score_adj: Permission denied").
  restrict_oom_score_adj = true
  # Pod network namespaces under the state folder, not /var/run/netns.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$SNAPSHOTTER"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        # runc's state under the work folder, not /run/containerd/runc.
        Root = "$WORK/containerd/runc"
    # The same runc with its own CNI folder (the primary only): the figures' "without".
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.bare]
      runtime_type = "io.containerd.runc.v2"
      cni_conf_dir = "$HOST/etc/cni/net.d-bare"
      cni_max_conf_num = 1
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.bare.options]
        SystemdCgroup = false
        Root = "$WORK/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$HOST/opt/cni/bin"
    conf_dir = "$HOST/etc/cni/net.d"
    max_conf_num = 1
TOML
log "containerd (snapshotter $SNAPSHOTTER) in $NODE"
# nsenter: the node's network namespace. unshare: a private mount namespace (slave: nothing
# mounted in it reaches the root's), where /sys is the node namespace's sysfs (with the
# cgroup hierarchies moved over) so nothing in it can see a root-namespace interface.
# containerd's mounts (snapshots, shm, pod network namespaces) live and die in it.
# The pod network namespaces' folder is a shared mount point in there, as /run/netns is on
# a node: the agent's container mounts it with HostToContainer propagation (the chart's
# netns volume), which containerd allows only from a shared or slave mount.
NETNS_DIR=$WORK/containerd/state/io.containerd.grpc.v1.cri/netns
mkdir -p "$WORK/containerd/cgroup" "$NETNS_DIR"
(exec nsenter --net="/run/netns/$NODE" -- unshare --mount --propagation slave -- sh -ec "
    mount --rbind /sys/fs/cgroup '$WORK/containerd/cgroup'
    mount -t sysfs sysfs /sys
    mount --rbind '$WORK/containerd/cgroup' /sys/fs/cgroup
    umount -l '$WORK/containerd/cgroup'
    mount --bind '$NETNS_DIR' '$NETNS_DIR'
    mount --make-shared '$NETNS_DIR'
    exec containerd --config '$WORK/containerd/config.toml'" >"$WORK/containerd.log" 2>&1 </dev/null) &
CONTAINERD_PID=$!
cri wait-ready --timeout 30 >"$WORK/ready.json" || die "containerd's CRI did not become ready"
log "containerd ready: $(cat "$WORK/ready.json")"
for archive in pause rampart-node rampart-manager; do
    ctr --address "$SOCK" -n k8s.io images import --snapshotter "$SNAPSHOTTER" "$WORK/images/$archive.tar" >>"$WORK/import.log" 2>&1 \
        || { cat "$WORK/import.log"; die "ctr images import $archive.tar failed"; }
done
for image in "$PAUSE_IMAGE" "$NODE_IMAGE" "$MANAGER_IMAGE"; do
    cri image "$image" >/dev/null || die "the CRI does not see $image after the import"
done

# --- Node state, as snapshots --------------------------------------------------------------
# Everything a pod could leave behind: rules and routes of every table (both families),
# links and addresses of the node, the host-local reservations, the plugin's records, the
# libcni cache entries of our network and the pod network namespaces containerd keeps.
snapshot() {
    n "$NODE" sh -c 'ip rule; ip -6 rule; ip route show table all; ip -6 route show table all; ip -o link show | sed "s/^[0-9]*: //"; ip -o addr show'
    echo "--- files"
    # host-local's lock and last_reserved_ip are the network's, not a pod's.
    (cd "$HOST/var/lib/cni" && find networks rampart -type f | grep -v -e '/lock$' -e '/last_reserved_ip' | sort)
    ls /var/lib/cni/results 2>/dev/null | grep -F "$NETNAME" || true
    ls "$NETNS_DIR"
}
differ() { diff <(echo "$1") <(echo "$2") | grep '^[<>]' | head -n 30; }

# --- The manager, from its image (before the measurements: both runs share its load) -----
mkdir -p "$WORK/manager-config"
cp "$WORK/kubeconfig" "$WORK/manager-config/kubeconfig"
chmod 0644 "$WORK/manager-config/kubeconfig"
cat >"$WORK/manager-config/manager.yaml" <<YAML
apiVersion: rampart.io/v1
kind: ManagerConfiguration
metadata: {name: containerd-e2e}
spec:
  listen: "127.0.0.1:9690"
  state: /var/lib/rampart/manager.sqlite
  clusters:
    - {name: lab, id: 7, kubeconfig: /etc/rampart/kubeconfig}
  firewalls:
    - {name: fw-1, admin: "http://10.200.0.2:9680"}
YAML
# The manager's Deployment pod (templates/manager.yaml): the chart's restricted container
# (uid 65532, no capability, read-only root). Host network here, because the API test
# server listens on the node's loopback.
python3 - "$WORK/manager-spec.json" <<PY
import json, sys
json.dump({"name": "rampart-manager-$ID", "namespace": "kube-system", "container": "manager",
           "labels": {"app.kubernetes.io/name": "rampart", "app.kubernetes.io/component": "manager"},
           "annotations": {"rampart.io/inspect": "bypass"},
           "image": "$MANAGER_IMAGE",
           "command": ["/usr/local/bin/rampart-manager", "run", "--config", "/etc/rampart/manager.yaml"],
           "runAsUser": 65532, "runAsGroup": 65532, "allowPrivilegeEscalation": False,
           "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
           "mounts": [{"host": "$WORK/manager-config", "container": "/etc/rampart", "readonly": True},
                      {"host": "$HOST/var/lib/rampart-manager", "container": "/var/lib/rampart"}]},
          open(sys.argv[1], "w"))
PY
log "the manager, under containerd"
ncri daemon --spec "$WORK/manager-spec.json" >"$WORK/manager.json" || die "could not start the manager's container"
MANAGER=$(json 'd["container"]' <"$WORK/manager.json")
for _ in $(seq 20); do n "$NODE" curl -sf -o /dev/null http://127.0.0.1:9690/healthz && break; sleep 0.25; done
n "$NODE" curl -sf -o /dev/null http://127.0.0.1:9690/healthz \
    || die "the manager does not answer on 127.0.0.1:9690 (container $(cri container-state "$MANAGER"))"
pass "the manager runs from its image under containerd (uid 65532, no capability, read-only root)"

# --- 1. The primary alone leaves nothing behind (so the snapshots can see what does) ------
# containerd's own loopback network comes first; then the conflist's chain.
plugins=$(cri cni-plugins | json 'd["networks"]')
[ "$plugins" = "[['loopback'], ['ptp']]" ] || die "containerd loaded CNI networks $plugins, expected [['loopback'], ['ptp']]"
pristine=$(snapshot)
ncri cycle --count 10 --namespace shop --prefix primary >/dev/null || die "10 sandboxes with ptp + host-local failed"
after=$(snapshot)
[ "$pristine" = "$after" ] || die "10 sandboxes with ptp + host-local alone changed the node: $(differ "$pristine" "$after")"
pass "10 sandboxes with the primary alone left the node as it was"

# --- 2. The node agent, from its image --------------------------------------------------
mkdir -p "$WORK/node-config"
cp "$WORK/kubeconfig" "$WORK/node-config/kubeconfig"
# The chart's NodeConfiguration (templates/node-configmap.yaml) with this node's folders;
# credentials from a kubeconfig (no service account here), health checks every second.
cat >"$WORK/node-config/node.yaml" <<YAML
apiVersion: rampart.io/v1
kind: NodeConfiguration
metadata: {name: node}
spec:
  kubeconfig: /etc/rampart/kubeconfig
  clusterID: 7
  firewalls:
    - {address: 10.200.0.2, admin: "http://10.200.0.2:9680"}
  tunnel: {name: rampart0, port: 6080, mtu: 1450, ipv6: false, device: nfw}
  plugin:
    failMode: closed
    trustCIDRs: []
    logFile: $HOST/var/log/rampart/cni.log
    stateDir: $HOST/var/lib/cni/rampart
  cni:
    binDir: $HOST/opt/cni/bin
    confDir: $HOST/etc/cni/net.d
    pluginBinary: /usr/local/bin/rampart-cni
    install: true
  socket: $HOST/run/rampart/node.sock
  state: $HOST/var/lib/rampart/attachments.json
  metrics: "127.0.0.1:9691"
  events: "-"
  healthInterval: 1
  healthFailures: 3
  failOpen: true
  resyncInterval: 5
YAML
# The DaemonSet's pod (templates/node-daemonset.yaml): host network, root, privileged (for
# the rp_filter write) with NET_ADMIN, and its host paths mounted where they are on the host.
python3 - "$WORK/node-spec.json" <<PY
import json, sys
host = "$HOST"
mounts = [{"host": "$WORK/node-config", "container": "/etc/rampart", "readonly": True}]
for path in ["/opt/cni/bin", "/etc/cni/net.d", "/run/rampart", "/var/lib/rampart", "/var/log/rampart", "/var/lib/cni/rampart"]:
    mounts.append({"host": host + path, "container": host + path})
mounts.append({"host": "$NETNS_DIR", "container": "$NETNS_DIR",
               "readonly": True, "propagation": "host-to-container"})
json.dump({"name": "rampart-node-$ID", "namespace": "kube-system", "container": "agent",
           "labels": {"app.kubernetes.io/name": "rampart", "app.kubernetes.io/component": "node"},
           "image": "$NODE_IMAGE",
           "command": ["/usr/local/bin/rampart-node", "run", "--config", "/etc/rampart/node.yaml"],
           "env": {"NODE_NAME": "$NODE_NAME"},
           "runAsUser": 0, "privileged": True, "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]},
           "mounts": mounts}, open(sys.argv[1], "w"))
PY
log "the node agent, under containerd"
ncri daemon --spec "$WORK/node-spec.json" >"$WORK/node.json" || die "could not start the node agent's container"
AGENT=$(json 'd["container"]' <"$WORK/node.json")
# Ready as the chart's readinessProbe asks: `rampart-node status` exec'd in the container.
ready=no
for _ in $(seq 60); do
    if cri exec "$AGENT" -- /usr/local/bin/rampart-node status --socket "$HOST/run/rampart/node.sock" >"$WORK/agent-status.json" 2>&1; then
        ready=yes; break
    fi
    sleep 0.5
done
[ $ready = yes ] || die "the node agent is not ready (exec probe): $(cat "$WORK/agent-status.json"); container $(cri container-state "$AGENT")"
pass "the node agent runs from its image under containerd and is ready (exec probe)"
grep -q '"type": *"rampart-cni"' "$HOST/etc/cni/net.d/10-ptp.conflist" || die "the agent did not install its entry into the conflist"
[ -x "$HOST/opt/cni/bin/rampart-cni" ] || die "the agent did not install rampart-cni into the CNI bin folder"
# containerd reloads the folder on change: wait until it runs the chain with rampart-cni.
for _ in $(seq 50); do
    plugins=$(cri cni-plugins | json 'd["networks"]')
    [ "$plugins" = "[['loopback'], ['ptp', 'rampart-cni']]" ] && break
    sleep 0.2
done
[ "$plugins" = "[['loopback'], ['ptp', 'rampart-cni']]" ] || die "containerd did not load the chain with rampart-cni: $plugins"
pass "containerd loaded the conflist the agent completed: ptp, rampart-cni"

# The agent's shared items (rampart0, its neighbour, table 6080's default route, rule 6001)
# exist now and outlive pods: the baseline includes them.
baseline=$(snapshot)
echo "$baseline" | grep -q 'iif rampart0 lookup main' || die "no 'iif rampart0 lookup main' rule from the agent: $baseline"
echo "$baseline" | grep -q 'default via 169.254.77.1 dev rampart0 table 6080' || die "no table 6080 route from the agent"

# --- 3. Pods: two in an annotated namespace, two in a plain one ----------------------------
log "pods shop/web, shop/client, plain/other, plain/peer"
declare -A IP PID SANDBOX
for pod in shop/web shop/client plain/other plain/peer; do
    ns=${pod%/*} name=${pod#*/}
    ncri pod-up --name "$name" --namespace "$ns" --label "app=$name" >"$WORK/pod-$name.json" || die "RunPodSandbox $pod failed"
    IP[$name]=$(json 'd["ip"]' <"$WORK/pod-$name.json")
    PID[$name]=$(json 'd["pid"]' <"$WORK/pod-$name.json")
    SANDBOX[$name]=$(json 'd["id"]' <"$WORK/pod-$name.json")
    [ "${PID[$name]}" -gt 0 ] || die "no pid for the sandbox of $pod: $(cat "$WORK/pod-$name.json")"
done
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
        n "$FW" curl -sf "http://10.200.0.2:9680/tags?address=${IP[$name]}" | grep -qF "\"$tag\"" && { ok=yes; break; }
        sleep 0.2
    done
    [ $ok = yes ] || die "the manager did not push $tag for ${IP[$name]}: $(n "$FW" curl -s "http://10.200.0.2:9680/tags?address=${IP[$name]}")"
done
pass "the manager (from its image) pushed the pods' tags to the firewall"

# Workloads: processes in the sandboxes' network namespaces (entered through the pause
# process), a small HTTP server in web and in peer.
in_pod() { local name=$1; shift; nsenter --net="/proc/${PID[$name]}/ns/net" -- "$@"; }
serve='import functools, http.server, socketserver, sys
S = type("S", (socketserver.TCPServer,), {"allow_reuse_address": True})
S((sys.argv[1], 8000), functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])).serve_forever()'
mkdir -p "$WORK/www" && echo hello >"$WORK/www/index.html"
for name in web peer; do
    (exec nsenter --net="/proc/${PID[$name]}/ns/net" -- python3 -c "$serve" "${IP[$name]}" "$WORK/www" >"$WORK/http-$name.log" 2>&1 </dev/null) &
    SERVER_PIDS+=($!)
    for _ in $(seq 50); do in_pod "$name" bash -c "exec 3<>/dev/tcp/${IP[$name]}/8000" 2>/dev/null && break; sleep 0.1; done
done
request() { # FROM TO PORT → HTTP status (000: none)
    in_pod "$1" curl -s -o /dev/null -w '%{http_code}' --local-port "$3" --connect-timeout 2 --max-time 4 "http://${IP[$2]}:8000/" || true
}
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
