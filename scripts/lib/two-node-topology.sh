# The two-node topology of hash balancing, shared by scripts/scaleout-e2e.sh and
# scripts/hashscope-e2e.sh; source it, then call `two_nodes_begin PREFIX NAME SUBNET COUNT`
# and `two_nodes_up`.
#
# Two nodes and COUNT firewalls on an underlay bridge (br0) inside its own namespace,
# SUBNET.1 and SUBNET.2 the nodes, SUBNET.11 onwards the firewalls; pod A (10.244.1.10) on
# node 1, pod B (10.244.2.10) on node 2, each behind a veth with a /32 and a gateway answered
# by proxy ARP, steered into table 6080 by the plugin's rules (docs/cni.md); the node agents
# make the tunnel. Veths are created inside a namespace and their far ends moved: the root
# namespace is never touched. Namespaces are PREFIX-ul-PID, -n1-, -n2-, -a-, -b-, -f1-...;
# the work folder is /tmp/rampart-NAME.*. On exit every process recorded in the associative
# array PID is stopped, the namespaces deleted and the folder removed (E2E_KEEP=1 keeps it).
source "$(dirname "${BASH_SOURCE[0]}")/processes.sh"

two_nodes_begin() {  # $1 = namespace prefix, $2 = work folder name, $3 = underlay /24 (a.b.c), $4 = firewalls
    local i
    ID=$$
    SUBNET=$3
    UL=$1-ul-$ID; N1=$1-n1-$ID; N2=$1-n2-$ID; A=$1-a-$ID; B=$1-b-$ID
    FWS=()
    for i in $(seq $4); do FWS+=($1-f$i-$ID); done
    ALL=($UL $N1 $N2 $A $B "${FWS[@]}")
    WORK=$(mktemp -d "/tmp/rampart-$2.XXXXXX")
    declare -gA PID=()
    failures=0
    trap two_nodes_cleanup EXIT
    trap "exit 1" INT TERM
}

two_nodes_cleanup() {
    local key ns
    for key in "${!PID[@]}"; do stop_process "${PID[$key]}"; done
    for ns in "${ALL[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    if [ -n "${E2E_KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
n() { ip netns exec "$@"; }

two_nodes_up() {
    local ns i
    for ns in "${ALL[@]}"; do
        ip netns add $ns
        n $ns ip link set lo up
        n $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    done
    n $UL ip link add br0 type bridge
    n $UL ip link set br0 up
    two_nodes_uplink $N1 1; two_nodes_uplink $N2 2
    for i in "${!FWS[@]}"; do two_nodes_uplink ${FWS[$i]} $((11 + i)); done
    two_nodes_pod $N1 $A 10.244.1.10 $SUBNET.2 10.244.2.0/24
    two_nodes_pod $N2 $B 10.244.2.10 $SUBNET.1 10.244.1.0/24
}

two_nodes_uplink() {  # namespace, host number: a veth `ul` from the underlay bridge
    n $UL ip link add u$2 type veth peer name ul
    n $UL ip link set ul netns $1
    n $UL ip link set u$2 master br0 up
    n $1 ip addr add $SUBNET.$2/24 dev ul
    n $1 ip link set ul up
}

two_nodes_pod() {  # node, pod namespace, pod address, other node's underlay address, other pods' network
    # 1400: the pods' MTU leaves room for the tunnel (50 bytes) under the underlay's 1500,
    # as a CNI sets it; the node's ICMP "fragmentation needed" would itself be steered.
    n $1 ip link add vpod mtu 1400 type veth peer name eth0 mtu 1400
    n $1 ip link set eth0 netns $2
    n $2 ip addr add $3/32 dev eth0
    n $2 ip link set eth0 up
    n $2 ip route add 169.254.1.1 dev eth0 scope link
    n $2 ip route add default via 169.254.1.1 dev eth0
    n $1 sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
    n $1 ip link set vpod up
    n $1 sysctl -qw net.ipv4.conf.vpod.proxy_arp=1
    n $1 ip route add $3/32 dev vpod
    n $1 ip route add $5 via $4 dev ul
    # The plugin's rules for a protected pod (docs/cni.md): its traffic, both ways, into
    # the tunnel's table; what comes back from the tunnel goes by main (the agent's rule 6001).
    n $1 ip rule add iif vpod lookup 6080 pref 6010
    n $1 ip rule add to $3 lookup 6080 pref 6011
}

# Firewall I's configuration (SUBNET.(11+I), VNI 7, one worker unless WORKERS): the lines
# of both scripts; the caller appends its own spec lines and policy after it.
two_nodes_firewall_config() {  # index [workers]
    cat <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: fw$1}
spec:
  listen: 0.0.0.0:6080
  admin: 127.0.0.1:9680
  probes: $SUBNET.$((11 + $1)):9681
  vnis: [7]
  workers: ${2:-1}
  innerMTU: 1400              # the pods' MTU: segments cut from TSO packets fit the 1500-byte underlay
  tunnelSourceNetworks: [$SUBNET.0/24]
  events: $WORK/eve$1.json
YAML
}

# Node N's agent configuration, `balancing: hash` over every firewall, no API server (the
# script steers the pods); the caller appends its own spec lines.
two_nodes_agent_config() {  # node number
    local i
    cat <<YAML
apiVersion: rampart.io/v1
kind: NodeConfiguration
metadata: {name: node$1}
spec:
  nodeName: node$1
  credentialFile: $WORK/credentials.json
  server: http://127.0.0.1:1        # no API server here: the pods are steered by the script
  clusterID: 7
  firewalls:
YAML
    for i in "${!FWS[@]}"; do echo "    - {address: $SUBNET.$((11 + i)), admin: \"http://$SUBNET.$((11 + i)):9681\"}"; done
    cat <<YAML
  balancing: hash
  tunnel: {local: $SUBNET.$1, device: ul, ipv6: false, mtu: 1450}
  cni: {install: false, confDir: $WORK/cni$1, binDir: $WORK/cni$1}
  socket: $WORK/node$1.sock
  state: $WORK/node$1-state.json
  events: $WORK/node$1-events.json
  healthInterval: 0.25
  healthFailures: 2
  healthTimeout: 0.5
YAML
}

# The policy of both scripts: pod A may reach pod B on SERVICES ("tcp/8000, tcp/5201"),
# nothing else crosses between them.
two_nodes_policy() {  # name, services
    cat <<YAML
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: $1}
spec:
  zones:
    - {name: pod-a, networks: [10.244.1.10/32]}
    - {name: pod-b, networks: [10.244.2.10/32]}
  rules:
    - {name: web, from: [pod-a], to: [pod-b], services: [$2], action: allow}
  defaults:
    intrazone: {action: allow}
    interzone: {action: deny}
YAML
}

owners() {  # node namespace: "bucket firewall" lines from the tunnel's FDB
    n $1 bridge fdb show dev rampart0 2>/dev/null | awk '/^02:00:00:00:0/ {split($1, m, ":"); print strtonum("0x" m[5] m[6]), $3}' | sort -n
}
