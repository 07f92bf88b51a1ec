# The two-namespace recording bench the capture scripts share (make-captures.sh,
# make-threat-capture.sh, make-bench-capture.sh); source it, then:
#
#   capture_pair_begin NAME            # namespaces rp-PID-NAMEcli / rp-PID-NAMEsrv, $WORK, traps
#   capture_pair_link 10.77.0.1/24 10.77.0.2/24 [ETHTOOL OFFLOADS...]
#
# The veth pair is created inside the client namespace with its peer placed straight into
# the server namespace: the root namespace's interfaces are never touched. On exit every
# process started with `serve` (and any left in the namespaces) is killed, tcpdump stopped,
# both namespaces deleted and $WORK removed (SHOW_SERVER_LOG=1 prints the servers' log).
source "$(dirname "${BASH_SOURCE[0]}")/processes.sh"
export PATH="$PATH:/usr/sbin:/sbin"

capture_pair_begin() {  # NAME
    CLI="rp-$$-${1}cli"
    SRV="rp-$$-${1}srv"
    WORK=$(mktemp -d "/tmp/rp-$1.XXXXXX")
    PIDS=()
    TCPDUMP_PID=
    trap capture_pair_cleanup EXIT
    trap 'exit 130' INT TERM
    trap 'echo "$(basename "$0"): failed at line $LINENO: $BASH_COMMAND" >&2' ERR
    ip netns add "$CLI"
    ip netns add "$SRV"
}

capture_pair_cleanup() {
    local pid
    [[ -n "${TCPDUMP_PID:-}" ]] && stop_process "$TCPDUMP_PID"
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    ip netns pids "$SRV" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns pids "$CLI" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$CLI" 2>/dev/null || true
    ip netns del "$SRV" 2>/dev/null || true
    if [[ -n "${SHOW_SERVER_LOG:-}" && -e "$WORK/servers.log" ]]; then cat "$WORK/servers.log" >&2; fi
    rm -rf "$WORK"
}

# The veth pair veth0 (client) / veth1 (server) with their addresses; the offloads named
# (default: tso gso gro tx rx) are turned off so captures hold wire-sized packets with
# finished checksums, as a NIC puts them on the wire.
capture_pair_link() {  # CLIENT/PREFIX SERVER/PREFIX [OFFLOAD...]
    local client=$1 server=$2
    shift 2
    local offloads=("$@")
    [[ $# -gt 0 ]] || offloads=(tso gso gro tx rx)
    local off=() o
    for o in "${offloads[@]}"; do off+=("$o" off); done
    ip -n "$CLI" link add veth0 type veth peer name veth1 netns "$SRV"
    ip -n "$CLI" link set lo up
    ip -n "$SRV" link set lo up
    ip -n "$CLI" addr add "$client" dev veth0
    ip -n "$SRV" addr add "$server" dev veth1
    ip -n "$CLI" link set veth0 up
    ip -n "$SRV" link set veth1 up
    cli ethtool -K veth0 "${off[@]}" >/dev/null 2>&1 || true
    srv ethtool -K veth1 "${off[@]}" >/dev/null 2>&1 || true
}

cli() { ip netns exec "$CLI" "$@"; }
srv() { ip netns exec "$SRV" "$@"; }

# Starts a long-running server in the server namespace and remembers its pid. `ip netns
# exec` execs the program, so $! is the server itself and signals reach it.
serve() { ip netns exec "$SRV" "$@" >>"$WORK/servers.log" 2>&1 & PIDS+=($!); }

wait_port() {  # PROTO(t|u) PORT
    local i
    for i in $(seq 1 100); do
        if srv ss -ln"$1" | awk '{print $4}' | grep -q ":$2\$"; then return 0; fi
        sleep 0.05
    done
    echo "$(basename "$0"): nothing listens on $1 port $2" >&2
    return 1
}

start_capture() {  # FILE [SNAPLEN] [IFACE]
    local log="$WORK/tcpdump.$(basename "$1").log" i
    ip netns exec "$SRV" tcpdump -i "${3:-veth1}" --immediate-mode -n -U -Z root -s "${2:-262144}" -w "$1" 2>"$log" &
    TCPDUMP_PID=$!
    for i in $(seq 1 100); do grep -qs "listening on" "$log" && break; sleep 0.05; done
}

stop_capture() {  # immediate mode: without it packets wait in the ring until a block fills
    sleep 0.3     # let the last FIN/ACKs arrive
    stop_process "$TCPDUMP_PID"
    TCPDUMP_PID=
}
