# Shared by the App-ID capture scripts (scripts/appid/*.sh); source it, don't run it.
#
# Builds a client and a server network namespace joined by a veth pair created inside the
# client namespace (the root namespace's interfaces are never touched), runs tcpdump in the
# server namespace, and writes a labels file naming the application of every flow.
#
#   source "$(dirname "$0")/lib.sh"
#   appid_begin NAME OUTDIR          # namespaces up; OUT=OUTDIR, WORK=temp dir; trap cleans up
#   serve redis-server --port 6379   # a server in the server namespace (background)
#   wait_port t 6379
#   capture_start
#   label tcp 6379 redis             # flows to the server's port 6379/tcp are "redis"
#   cli redis-cli -h "$SRV4" ping
#   capture_stop                     # writes OUTDIR/NAME.pcap and OUTDIR/NAME.labels
#
# Addresses: client $CLI4 / $CLI6, server $SRV4 / $SRV6.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/processes.sh"
export PATH="$PATH:/usr/sbin:/sbin"

CLI4=10.88.0.1
SRV4=10.88.0.2
CLI6=fd00:88::1
SRV6=fd00:88::2
PIDS=()
TCPDUMP_PID=

appid_cleanup() {
    local pid
    [[ -n "$TCPDUMP_PID" ]] && stop_process "$TCPDUMP_PID"
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    ip netns pids "$SRVNS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns pids "$CLINS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$CLINS" 2>/dev/null || true
    ip netns del "$SRVNS" 2>/dev/null || true
    if [[ -n "${KEEP_WORK:-}" ]]; then echo "appid: work kept in $WORK" >&2; else rm -rf "$WORK"; fi
}

appid_begin() { # NAME OUTDIR
    NAME=${1:?appid_begin NAME OUTDIR}
    OUT=${2:?appid_begin NAME OUTDIR}
    mkdir -p "$OUT"
    OUT=$(cd "$OUT" && pwd)
    CLINS="rpa-$$-cli"
    SRVNS="rpa-$$-srv"
    WORK=$(mktemp -d "/tmp/rp-appid-$NAME.XXXXXX")
    trap appid_cleanup EXIT
    trap 'echo "appid/$NAME: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
    : >"$WORK/labels"
    ip netns add "$CLINS"
    ip netns add "$SRVNS"
    ip -n "$CLINS" link add veth0 type veth peer name veth1 netns "$SRVNS"
    ip -n "$CLINS" link set lo up
    ip -n "$SRVNS" link set lo up
    ip -n "$CLINS" addr add "$CLI4/24" dev veth0
    ip -n "$SRVNS" addr add "$SRV4/24" dev veth1
    ip -n "$CLINS" addr add "$CLI6/64" dev veth0 nodad
    ip -n "$SRVNS" addr add "$SRV6/64" dev veth1 nodad
    ip -n "$CLINS" link set veth0 up
    ip -n "$SRVNS" link set veth1 up
    cli ethtool -K veth0 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    srv ethtool -K veth1 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    wait_reachable "$SRV4"
    wait_reachable -6 "$SRV6"
}

cli() { ip netns exec "$CLINS" "$@"; }
srv() { ip netns exec "$SRVNS" "$@"; }

# Starts a long-running server in the server namespace; its output goes to $WORK/servers.log.
serve() { srv "$@" >>"$WORK/servers.log" 2>&1 & PIDS+=($!); }

wait_port() { # t|u PORT
    local i
    for i in $(seq 1 200); do
        if srv ss -ln"$1" | awk '{print $4}' | grep -q ":$2\$"; then return 0; fi
        sleep 0.05
    done
    echo "appid/$NAME: nothing listens on $1 port $2; server log:" >&2
    tail -n 20 "$WORK/servers.log" >&2 || true
    return 1
}

# Names the application of every flow to the server's PORT over PROTO (tcp|udp).
label() { # PROTO PORT APP
    echo "$1 $2 $3" >>"$WORK/labels"
}

capture_start() { # [SNAPLEN]
    local log="$WORK/tcpdump.log"
    # Only the test's own traffic: no neighbour discovery or router chatter.
    # Started without the srv function so that $! is tcpdump itself, which must get the INT.
    ip netns exec "$SRVNS" tcpdump -i veth1 -n -U --immediate-mode -Z root -s "${1:-262144}" -w "$WORK/capture.pcap" \
        'tcp or (udp and not port 5353) or icmp' 2>"$log" &
    TCPDUMP_PID=$!
    local i
    for i in $(seq 1 100); do grep -q "listening on" "$log" && break; sleep 0.05; done
}

capture_stop() {
    sleep 0.3   # let the last FIN/ACKs arrive
    stop_process "$TCPDUMP_PID"
    TCPDUMP_PID=
    cp "$WORK/capture.pcap" "$OUT/$NAME.pcap"
    sort -u "$WORK/labels" >"$OUT/$NAME.labels"
    echo "appid/$NAME: $(tcpdump -r "$OUT/$NAME.pcap" 2>/dev/null | wc -l) packets, $(wc -l <"$OUT/$NAME.labels") labels -> $OUT/$NAME.pcap" >&2
}
