#!/usr/bin/env bash
# Benchmarks the cluster watcher end to end, in one run: the local Kubernetes API test
# server (Tests/KubeAPIServer) holds PODS pods in NAMESPACES namespaces and churns them at
# RATE pod events per second (new pods get an IP a moment after creation, deleted pods free
# theirs, freed IPs are reused first); rampart-manager watches it over HTTPS and pushes to
# a real rampart-firewall's admin API on loopback.
#
# Measured: for every pod IP assigned during the churn, the time from the API server
# writing the IP (the test server's clock, `assigned_at`) to the firewall accepting the
# address's new tags (the manager's push log: the 2xx of POST /tags; the firewall applies an
# accepted batch before its next packet). Also the manager's memory (VmRSS, VmHWM).
# Beside it, in the same run, what a plugin polling the API every POLL seconds (the
# commercial plugin's default is 30) would have delivered for the same assignments: a
# model (next poll tick after the assignment), not a measurement.
#
#   swift build -c release --product rampart-manager --product rampart-firewall
#   scripts/bench-manager.sh .build/release
#
# Environment: BENCH_PODS (5000), BENCH_NAMESPACES (200), BENCH_RATE (50), BENCH_SECONDS (60),
# BENCH_POLL (30). Loopback only; removes everything it made.
set -euo pipefail
BIN=$(readlink -f "${1:-.build/release}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
PODS=${BENCH_PODS:-5000}
NAMESPACES=${BENCH_NAMESPACES:-200}
RATE=${BENCH_RATE:-50}
SECONDS_=${BENCH_SECONDS:-60}
POLL=${BENCH_POLL:-30}
for tool in python3 curl openssl; do command -v $tool >/dev/null || { echo "$tool missing"; exit 1; }; done
for exe in rampart-manager rampart-firewall; do
    [ -x "$BIN/$exe" ] || { echo "no $exe in $BIN: swift build -c release --product $exe"; exit 1; }
done
source "$HERE/scripts/lib/processes.sh"

WORK=$(mktemp -d /tmp/rampart-bench-manager.XXXXXX)
SERVER=""; FIREWALL=""; MANAGER=""
cleanup() {
    for pid in $MANAGER $FIREWALL $SERVER; do stop_process "$pid"; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== API test server" >&2
"$HERE/Tests/KubeAPIServer/make-certs.sh" "$WORK/certs" >/dev/null
python3 "$HERE/Tests/KubeAPIServer/kube_api_server.py" --certs "$WORK/certs" --port 0 --control-port 0 \
    --token bench-token --bookmark-interval 5 --history 200000 \
    --write-ports "$WORK/ports.json" --write-kubeconfig "$WORK/kubeconfig" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do [ -s "$WORK/ports.json" ] && break; sleep 0.1; done
CONTROL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control"])' "$WORK/ports.json")

echo "== firewall (loopback)" >&2
ADMIN=$(free_port); TUNNEL=$(free_port)
cat >"$WORK/firewall.yaml" <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: bench}
spec:
  listen: 127.0.0.1:$TUNNEL
  admin: 127.0.0.1:$ADMIN
  events: $WORK/eve.json
  workers: 1
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: bench}
spec:
  zones:
    - {name: pods, networks: [10.0.0.0/8]}
  rules:
    - {name: web, from: [pods], to: [pods], action: allow}
YAML
"$BIN/rampart-firewall" --config "$WORK/firewall.yaml" >"$WORK/firewall.out" 2>"$WORK/firewall.err" &
FIREWALL=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$ADMIN/healthz" >/dev/null && break; sleep 0.1; done

echo "== $PODS pods in $NAMESPACES namespaces" >&2
curl -sf -X POST "http://127.0.0.1:$CONTROL/churn" \
    -d "{\"namespaces\":$NAMESPACES,\"pods\":$PODS,\"rate\":0,\"seconds\":0,\"nodes\":10,\"seed\":1}" >/dev/null
for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$CONTROL/churn/status" | grep -q '"running": *false' && break; sleep 0.1
done

echo "== manager" >&2
cat >"$WORK/manager.yaml" <<YAML
apiVersion: rampart.io/v1
kind: ManagerConfiguration
metadata: {name: bench}
spec:
  listen: 127.0.0.1:$(free_port)
  state: $WORK/manager.sqlite
  clusters:
    - {name: bench, clusterID: 1, kubeconfig: $WORK/kubeconfig, tagStyle: both}
  firewalls:
    - {name: fw-1, admin: "http://127.0.0.1:$ADMIN"}
YAML
start=$(date +%s.%N)
"$BIN/rampart-manager" run --config "$WORK/manager.yaml" --push-log "$WORK/push.log" 2>"$WORK/manager.log" &
MANAGER=$!
# Ready: the firewall holds the initial pods' tags.
for _ in $(seq 600); do
    n=$(curl -sf "http://127.0.0.1:$ADMIN/tags" | python3 -c 'import json,sys; print(json.load(sys.stdin)["addresses"])' 2>/dev/null || echo 0)
    [ "$n" -ge "$PODS" ] && break; sleep 0.1
done
synced=$(python3 -c "import time; print(f'{time.time()-$start:.2f}')")
echo "initial sync: $n addresses on the firewall after ${synced} s" >&2

echo "== churn: $RATE pod events/s for $SECONDS_ s" >&2
curl -sf -X POST "http://127.0.0.1:$CONTROL/churn" \
    -d "{\"namespaces\":$NAMESPACES,\"pods\":0,\"rate\":$RATE,\"seconds\":$SECONDS_,\"nodes\":10,\"seed\":2}" >/dev/null
sleep "$SECONDS_"
for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$CONTROL/churn/status" | grep -q '"running": *false' && break; sleep 0.1
done
sleep 2
curl -sf "http://127.0.0.1:$CONTROL/churn/log" >"$WORK/churn.json"
grep -E '^(VmRSS|VmHWM)' /proc/$MANAGER/status >"$WORK/memory.txt"

python3 - "$WORK/churn.json" "$WORK/push.log" "$WORK/memory.txt" "$POLL" "$synced" <<'PY'
import bisect, json, sys
churn = [e for e in json.load(open(sys.argv[1])) if not e.get("initial")]
acks = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    acks.setdefault(r["address"], []).append(r["acknowledged"])
for v in acks.values(): v.sort()
poll = float(sys.argv[4])
lat, missing = [], 0
for e in churn:
    times = acks.get(e["ip"], [])
    i = bisect.bisect_left(times, e["assigned_at"])
    if i == len(times): missing += 1
    else: lat.append(times[i] - e["assigned_at"])
lat.sort()
def pct(values, p): return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")
t0 = min((e["assigned_at"] for e in churn), default=0)
model = sorted(poll - ((e["assigned_at"] - t0) % poll) for e in churn)
mem = dict(l.split(":") for l in open(sys.argv[3]))
mb = lambda k: int(mem[k].split()[0]) / 1024
print(f"pod IP assignments during churn: {len(churn)} (not acknowledged: {missing})")
print(f"initial sync of the pods to the firewall: {sys.argv[5]} s")
print(f"{'':28}{'p50':>10}{'p90':>10}{'p99':>10}{'max':>10}")
print(f"{'rampart (watch, measured)':28}" + "".join(f"{pct(lat, p)*1000:>8.1f}ms" for p in (50, 90, 99)) + f"{(lat[-1] if lat else 0)*1000:>8.1f}ms")
print(f"{f'poll every {poll:.0f} s (model)':28}" + "".join(f"{pct(model, p):>9.1f}s" for p in (50, 90, 99)) + f"{(model[-1] if model else 0):>9.1f}s")
print(f"manager memory: VmRSS {mb('VmRSS'):.1f} MiB, VmHWM {mb('VmHWM'):.1f} MiB")
PY
