# Shared by the scripts that build test topologies in network namespaces; source it.
# The caller defines `cli` (run a command in its client namespace).

# Stops a process and waits for it. A parent may have started us with signals blocked
# (a test runner's thread), so a process that ignores TERM gets KILL after a second;
# tcpdump writes every packet as it comes (-U), so KILL loses nothing.
stop_process() { # PID
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Pings from the client namespace until the peer answers: a veth that was just set up may
# drop the first packets.
wait_reachable() { # [-6] ADDRESS
    local i
    for i in $(seq 1 20); do
        cli ping "$@" -c 1 -W 1 >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "$(basename "$0"): ${*: -1} does not answer ping" >&2
    return 1
}
