# The firewall's test topology, shared by scripts/firewall-e2e.sh and
# scripts/bench-firewall.sh; source it. The caller sets NODE, PODA, PODB and FW (unique
# namespace names), defines `n` (ip netns exec) and removes the namespaces on exit.
#
# As ../shared/ARCHITECTURE.md draws it: pods A (10.244.1.10) and B (10.244.1.20) behind
# veths on a node, /32 addresses and a gateway answered by proxy ARP (as Calico does); the
# node reaches the firewall (10.200.0.2) over a veth and tunnels to it through a kernel
# VXLAN device, rampart0 (VNI 7, UDP 6080); table 77 sends into the tunnel, and the rule
# "iif rampart0 -> main" routes what comes back. Veths are created inside the node
# namespace and their far ends moved out: the root namespace is never touched.

firewall_topology_up() {
    local ns
    for ns in $NODE $PODA $PODB $FW; do ip netns add $ns; n $ns ip link set lo up; done
    for ns in $NODE $PODA $PODB $FW; do
        n $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    done
    n $NODE ip link add vA type veth peer name eth0a
    n $NODE ip link add vB type veth peer name eth0b
    n $NODE ip link add nfw mtu 1600 type veth peer name fw0 mtu 1600
    n $NODE ip link set eth0a netns $PODA
    n $NODE ip link set eth0b netns $PODB
    n $NODE ip link set fw0 netns $FW
    n $PODA ip link set eth0a name eth0
    n $PODB ip link set eth0b name eth0

    n $PODA ip addr add 10.244.1.10/32 dev eth0
    n $PODB ip addr add 10.244.1.20/32 dev eth0
    for ns in $PODA $PODB; do
        n $ns ip link set eth0 up
        n $ns ip route add 169.254.1.1 dev eth0 scope link
        n $ns ip route add default via 169.254.1.1 dev eth0
    done

    n $NODE sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
    n $NODE ip link set vA up
    n $NODE ip link set vB up
    n $NODE sysctl -qw net.ipv4.conf.vA.proxy_arp=1 net.ipv4.conf.vB.proxy_arp=1
    n $NODE ip route add 10.244.1.10/32 dev vA
    n $NODE ip route add 10.244.1.20/32 dev vB
    n $NODE ip addr add 10.200.0.1/30 dev nfw
    n $NODE ip link set nfw up
    # A route covering the pods' gateway (through another device), so proxy ARP answers
    # for it (a node's default route does this in a cluster; this namespace has none).
    n $NODE ip route add 169.254.1.1/32 dev nfw

    n $FW ip addr add 10.200.0.2/30 dev fw0
    n $FW ip link set fw0 up
    n $FW sysctl -qw net.core.rmem_max=8388608 net.core.wmem_max=8388608 2>/dev/null || true

    n $NODE ip link add rampart0 mtu 1500 type vxlan id 7 dstport 6080 remote 10.200.0.2 local 10.200.0.1 dev nfw
    n $NODE ip link set rampart0 up
    n $NODE sysctl -qw net.ipv4.conf.rampart0.rp_filter=0
    # The firewall is reached through a gateway with a fixed MAC: frames leave with it as
    # destination and come back, MACs swapped, addressed to rampart0 itself.
    n $NODE ip neigh replace 169.254.77.1 lladdr 02:00:00:00:77:01 dev rampart0 nud permanent
    n $NODE ip route add default via 169.254.77.1 dev rampart0 onlink table 77
    n $NODE ip rule add iif rampart0 lookup main pref 100
}

# on|off: the rules that send the pods' traffic (egress from their veths, ingress to
# their addresses) into the tunnel.
steer() {
    local verb=del
    [ "$1" = on ] && verb=add
    n $NODE ip rule $verb iif vA lookup 77 pref 200
    n $NODE ip rule $verb iif vB lookup 77 pref 200
    n $NODE ip rule $verb to 10.244.1.10 lookup 77 pref 210
    n $NODE ip rule $verb to 10.244.1.20 lookup 77 pref 210
}
