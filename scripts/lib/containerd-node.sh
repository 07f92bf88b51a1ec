# A node on one machine, for the containerd end-to-end test and the demo (sourced, root
# only): a real containerd (Debian's 1.6, with runc) in a node network namespace, driven over
# its CRI exactly as the kubelet drives it, so containerd itself runs the CNI chain (ptp +
# host-local, then rampart-cni); the node agent and the manager from their images under that
# containerd (host network, the Helm chart's securityContext and host paths); the firewall
# from its image's binary in its own namespace; the local Kubernetes API test server
# (Tests/KubeAPIServer) as the cluster.
#
# The caller sets ROOT (the repository), images (a folder of OCI archives, or empty to build
# them), FIREWALL_POLICY (a SecurityPolicy document) and optionally NODE_LOG_PREFIX; then
# calls node_images, node_topology, node_api_server, node_firewall, node_containerd,
# node_manager, node_agent in that order, and pod_up / in_pod / request for pods.
#
# Network safety: containerd, and so every CNI plugin and container it starts, runs inside
# the node namespace created here (nsenter --net), in a private mount namespace with its own
# sysfs. Veths are created inside these namespaces; no root-namespace interface is named or
# touched; traffic goes to loopback or to these namespaces only. Everything (processes,
# cgroups, namespaces, mounts, files) is removed on exit, also after a failure (trap).

START=$(date +%s)
ID=$$
NODE=rc-cnode-$ID                  # the node's network namespace: containerd, plugins, agent, manager, API server
FW=rc-cfw-$ID                      # the firewall's
NODE_NAME=worker-$ID
NETNAME=rampart-e2e-$ID            # the CNI network's name (libcni's cache files carry it)
CGROUP=rampart-e2e-$ID             # cgroup parent of every sandbox
WORK=$(mktemp -d /tmp/rampart-node.XXXXXX)
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

node_images() {
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
}

node_topology() {
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

}

node_api_server() {
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

}

start_firewall() {
    (exec ip netns exec "$FW" "$FIREWALL_BIN" --config "$WORK/firewall.yaml" >>"$WORK/firewall.log" 2>&1 </dev/null) &
    FIREWALL_PID=$!
    for _ in $(seq 100); do n "$FW" curl -sf -o /dev/null http://10.200.0.2:9681/healthz && break; sleep 0.1; done
    n "$FW" curl -sf -o /dev/null http://10.200.0.2:9681/healthz || die "the firewall's probe listener does not answer"
}

node_firewall() {
    MANAGER_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    READ_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    (umask 077; printf 'tag-writer manager %s\nread-only e2e %s\n' "$MANAGER_TOKEN" "$READ_TOKEN" >"$WORK/firewall-tokens")
# --- The firewall, policy by tags ---------------------------------------------------------
log "firewall (from the image's binary) in $FW"
cat >"$WORK/firewall.yaml" <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: containerd-e2e}
# The admin API on the firewall's own address, for the agent's health checks and the
# manager's tag pushes (in a cluster: the firewall Service).
# Off loopback the admin API needs tokens: the manager's (tag-writer) and one to read
# (fw_get). Health checks go to the unauthenticated probe listener.
spec:
  listen: 0.0.0.0:6080
  admin: 10.200.0.2:9680
  probes: 10.200.0.2:9681
  auth: {tokensFile: $WORK/firewall-tokens}
  vnis: [7]
  events: $WORK/eve.json
  workers: 1
---
$FIREWALL_POLICY
YAML
start_firewall
}

node_containerd() {
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
}

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
# GET from the firewall's admin API with the read-only token.
fw_get() { n "$FW" curl -sf -H "Authorization: Bearer $READ_TOKEN" "http://10.200.0.2:9680$1"; }
differ() { diff <(echo "$1") <(echo "$2") | grep '^[<>]' | head -n 30; }

node_manager() {
# --- The manager, from its image (before the measurements: both runs share its load) -----
mkdir -p "$WORK/manager-config"
cp "$WORK/kubeconfig" "$WORK/manager-config/kubeconfig"
chmod 0644 "$WORK/manager-config/kubeconfig"
(umask 077; echo "$MANAGER_TOKEN" >"$WORK/manager-config/fw-1.token")
chown 65532:65532 "$WORK/manager-config/fw-1.token"
cat >"$WORK/manager-config/manager.yaml" <<YAML
apiVersion: rampart.io/v1
kind: ManagerConfiguration
metadata: {name: containerd-e2e}
spec:
  listen: "127.0.0.1:9690"
  probes: "127.0.0.1:9692"
  state: /var/lib/rampart/manager.sqlite
  clusters:
    - {name: lab, clusterID: 7, kubeconfig: /etc/rampart/kubeconfig}
  firewalls:
    - {name: fw-1, admin: "http://10.200.0.2:9680", tokenFile: fw-1.token}
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
for _ in $(seq 20); do n "$NODE" curl -sf -o /dev/null http://127.0.0.1:9692/healthz && break; sleep 0.25; done
n "$NODE" curl -sf -o /dev/null http://127.0.0.1:9692/healthz \
    || die "the manager does not answer on 127.0.0.1:9690 (container $(cri container-state "$MANAGER"))"
pass "the manager runs from its image under containerd (uid 65532, no capability, read-only root)"
}

node_agent() {
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
    - {address: 10.200.0.2, admin: "http://10.200.0.2:9681"}   # its probe listener
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
}

# Pods: RunPodSandbox through the CRI (the pod is written to the API test server first, as
# the kubelet would find it), then the sandbox's IP, pause pid and id in IP, PID, SANDBOX.
declare -gA IP PID SANDBOX
pod_up() { # NAMESPACE NAME
    local ns=$1 name=$2
    ncri pod-up --name "$name" --namespace "$ns" --label "app=$name" >"$WORK/pod-$name.json" || die "RunPodSandbox $ns/$name failed"
    IP[$name]=$(json 'd["ip"]' <"$WORK/pod-$name.json")
    PID[$name]=$(json 'd["pid"]' <"$WORK/pod-$name.json")
    SANDBOX[$name]=$(json 'd["id"]' <"$WORK/pod-$name.json")
    [ "${PID[$name]}" -gt 0 ] || die "no pid for the sandbox of $ns/$name: $(cat "$WORK/pod-$name.json")"
}
pod_down() { # NAMESPACE NAME
    ncri pod-down "${SANDBOX[$2]}" --name "$2" --namespace "$1" >/dev/null
}
# Workloads: processes in the sandboxes' network namespaces, entered through the pause
# process (the namespace a container of the pod would share).
in_pod() { local name=$1; shift; nsenter --net="/proc/${PID[$name]}/ns/net" -- "$@"; }
serve='import functools, http.server, socketserver, sys
S = type("S", (socketserver.TCPServer,), {"allow_reuse_address": True})
S((sys.argv[1], 8000), functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])).serve_forever()'
serve_http() { # POD...: a small HTTP server on port 8000 of each pod
    local name
    mkdir -p "$WORK/www" && echo hello >"$WORK/www/index.html"
    for name in "$@"; do
        (exec nsenter --net="/proc/${PID[$name]}/ns/net" -- python3 -c "$serve" "${IP[$name]}" "$WORK/www" >"$WORK/http-$name.log" 2>&1 </dev/null) &
        SERVER_PIDS+=($!)
        for _ in $(seq 50); do in_pod "$name" bash -c "exec 3<>/dev/tcp/${IP[$name]}/8000" 2>/dev/null && break; sleep 0.1; done
    done
}
request() { # FROM TO PORT → HTTP status (000: none)
    in_pod "$1" curl -s -o /dev/null -w '%{http_code}' --local-port "$3" --connect-timeout 2 --max-time 4 "http://${IP[$2]}:8000/" || true
}
