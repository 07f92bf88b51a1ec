# The harness every firewall end-to-end script shares; source it, then call
# `firewall_e2e_begin PREFIX NAME`: unique namespace names (PREFIX-node-PID, -poda-, -podb-,
# -fw-) for lib/firewall-topology.sh, a work folder /tmp/rampart-NAME.*, PASS/FAIL counting
# in $failures, and on exit a cleanup that stops every process recorded in PIDS, deletes the
# namespaces and removes the folder (E2E_KEEP=1 keeps it, to read the logs). Start
# background processes with `ip netns exec` directly (it execs the command), so $! is the
# process itself: `...  & PIDS+=($!)`.
source "$(dirname "${BASH_SOURCE[0]}")/firewall-topology.sh"

firewall_e2e_begin() {  # $1 = namespace prefix, $2 = work folder name
    ID=$$
    NODE=$1-node-$ID; PODA=$1-poda-$ID; PODB=$1-podb-$ID; FW=$1-fw-$ID
    WORK=$(mktemp -d "/tmp/rampart-$2.XXXXXX")
    PIDS=()
    failures=0
    trap firewall_e2e_cleanup EXIT INT TERM
}

firewall_e2e_cleanup() {
    local pid ns
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    for ns in $NODE $PODA $PODB $FW; do ip netns del "$ns" 2>/dev/null || true; done
    if [ -n "${E2E_KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
n() { ip netns exec "$@"; }
