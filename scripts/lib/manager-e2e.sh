# A real rampart-manager in front of a real rampart-firewall, shared by
# scripts/manager-control-e2e.sh and scripts/audits-e2e.sh; source it after setting BIN (the
# folder holding rampart-firewall, rampart-manager and rampart), then call
# `manager_e2e_check TOOLS...` and `firewall_e2e_begin` (lib/firewall-e2e.sh, sourced here).
#
# Both run in the firewall's namespace on lib/firewall-topology.sh's topology: the manager
# (API 127.0.0.1:9690, probes :9692) pushes tags and policy to the firewall's admin API
# (127.0.0.1:9680) and receives its flow records over TCP syslog (127.0.0.1:6514); pod B
# serves HTTP on port 8000 (python's http.server).
source "$(dirname "${BASH_SOURCE[0]}")/firewall-e2e.sh"

# Sets PYTHON; exits 77 (skip) when a tool is missing, 1 when an executable is not built.
manager_e2e_check() {  # tools beyond ip, curl and python3
    local tool binary
    PYTHON=$(command -v /usr/bin/python3 || command -v python3)
    for tool in ip curl $PYTHON "$@"; do command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }; done
    for binary in rampart-firewall rampart-manager rampart; do
        [ -x "$BIN/$binary" ] || { echo "FAIL: $BIN/$binary is not built"; exit 1; }
    done
}

# Tokens: the manager's API (OPS, an operator who commits; VIEWER, who reads) and the
# firewall's admin API (the manager writes tags and policy; the test reads as VIEWER).
manager_e2e_tokens() {
    OPS=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    VIEWER=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    TOMANAGER=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    printf 'policy-writer ops %s\nread-only viewer %s\n' "$OPS" "$VIEWER" > $WORK/manager-tokens
    printf 'tag-writer,policy-writer rampart-manager %s\nread-only viewer %s\n' "$TOMANAGER" "$VIEWER" > $WORK/firewall-tokens
    chmod 600 $WORK/manager-tokens $WORK/firewall-tokens
    echo "$TOMANAGER" > $WORK/fw.token
    echo "$VIEWER" > $WORK/viewer.token
}

# Writes $WORK/firewall.yaml (with its own file policy: pods to pods on tcp/8000) and
# $WORK/manager.yaml (one firewall, fw-1, and the log store). FIREWALL_SPEC and MANAGER_SPEC
# are lines appended to each spec (MANAGER_SPEC's first lines may continue `logs:`);
# FIREWALL_ENTRY is appended inside the manager's fw-1 entry (", groups: [lab]").
manager_e2e_configs() {  # name
    cat > $WORK/firewall.yaml <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: $1}
spec:
  listen: 0.0.0.0:6080
  admin: 127.0.0.1:9680
  probes: 127.0.0.1:9681
  auth: {tokensFile: $WORK/firewall-tokens}
  vnis: [7]
  tunnelSourceNetworks: [10.200.0.0/30]
  events: $WORK/eve.json
  syslog: tcp://127.0.0.1:6514          # the manager's log store
  workers: 1
${FIREWALL_SPEC:-}
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: file}
spec:
  zones:
    - {name: pods, networks: [10.244.1.0/24]}
  rules:
    - {name: file-allow, from: [pods], to: [pods], services: [tcp/8000], action: allow}
YAML
    cat > $WORK/manager.yaml <<YAML
apiVersion: rampart.io/v1
kind: ManagerConfiguration
metadata: {name: $1}
spec:
  listen: 127.0.0.1:9690
  probes: 127.0.0.1:9692
  auth: {tokensFile: $WORK/manager-tokens}
  state: $WORK/manager.sqlite
  firewallCheckSeconds: 1
  firewalls:
    - {name: fw-1, admin: http://127.0.0.1:9680, tokenFile: $WORK/fw.token${FIREWALL_ENTRY:-}}
  logs:
    listen: 127.0.0.1:6514
    store: $WORK/logs.sqlite
${MANAGER_SPEC:-}
YAML
}

# Starts the firewall (FWPID), the manager (MGRPID) and pod B's HTTP server on BIND (0.0.0.0
# unless given), all recorded in PIDS, and waits until all three answer; exits 1 if not.
start_firewall() {
    ip netns exec $FW "$BIN/rampart-firewall" --config $WORK/firewall.yaml >> $WORK/firewall.out 2>> $WORK/firewall.err &
    FWPID=$!; PIDS+=($FWPID)
}
manager_e2e_start() {  # [bind address of the HTTP server]
    local i ready=no
    start_firewall
    ip netns exec $FW "$BIN/rampart-manager" run --config $WORK/manager.yaml >> $WORK/manager.out 2>> $WORK/manager.err &
    MGRPID=$!; PIDS+=($MGRPID)
    (cd $WORK && exec ip netns exec $PODB $PYTHON -m http.server 8000 --bind ${1:-0.0.0.0} > $WORK/http.log 2>&1) &
    PIDS+=($!)
    for i in $(seq 150); do
        if n $FW curl -s -o /dev/null http://127.0.0.1:9681/readyz && n $FW curl -s -o /dev/null http://127.0.0.1:9692/healthz \
            && n $PODB bash -c 'exec 3<>/dev/tcp/10.244.1.20/8000' 2>/dev/null; then ready=yes; break; fi
        sleep 0.2
    done
    [ $ready = yes ] || { echo "FAIL: the firewall, the manager or the HTTP server did not start"; cat $WORK/firewall.err $WORK/manager.err; exit 1; }
}
