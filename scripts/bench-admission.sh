#!/usr/bin/env bash
# Benchmarks the manager's admission webhook (docs/image-trust.md) as the API server meets
# it: AdmissionReviews (admission.k8s.io/v1, built as kube-apiserver builds them: Pods,
# Deployments, CronJobs; allowed, alerted, denied, a tenth dry runs) POSTed over HTTPS
# (verified against the webhook's CA; connections reused as the API server reuses them, one
# kept per client thread, opened again when the webhook closes one; BENCH_REUSE=0: a new
# TLS connection per review) at a fixed RATE per second, open loop, for SECONDS, to a
# real rampart-manager watching the local API test server (namespace labels from it, 20
# trust rules). Measured per review: request + answer (+ connect and TLS handshake when the
# review needed a new connection), on the client's clock; also the manager's own histogram (rampart_manager_admission_seconds) and
# the decisions recorded in its state file (dry runs must not be). The client is 4 processes
# (16 threads each) on the shared schedule, so one Python lock does not queue the reviews.
#
#   swift build -c release --product rampart-manager
#   scripts/bench-admission.sh .build/release
#
# Environment: BENCH_RATE (200), BENCH_SECONDS (30), BENCH_REUSE (1). Loopback only; removes
# what it made.
set -euo pipefail
case ${1:-} in -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
BIN=$(readlink -f "${1:-.build/release}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
RATE=${BENCH_RATE:-200}
SECONDS_=${BENCH_SECONDS:-30}
REUSE=${BENCH_REUSE:-1}
for tool in python3 openssl curl; do command -v $tool >/dev/null || { echo "$tool missing (scripts/setup.sh)"; exit 1; }; done
[ -x "$BIN/rampart-manager" ] || { echo "no rampart-manager in $BIN: swift build -c release --product rampart-manager"; exit 1; }
source "$HERE/scripts/lib/processes.sh"

WORK=$(mktemp -d /tmp/rampart-bench-admission.XXXXXX)
SERVER=""; MANAGER=""
cleanup() {
    for pid in $MANAGER $SERVER; do stop_process "$pid"; done
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== API test server" >&2
"$HERE/Tests/KubeAPIServer/make-certs.sh" "$WORK/certs" >/dev/null
python3 "$HERE/Tests/KubeAPIServer/kube_api_server.py" --certs "$WORK/certs" --port 0 --control-port 0 --token bench-token \
    --write-ports "$WORK/ports.json" --write-kubeconfig "$WORK/kubeconfig" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do [ -s "$WORK/ports.json" ] && break; sleep 0.1; done
CONTROL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control"])' "$WORK/ports.json")
python3 - "$CONTROL" <<'PY'
import json, sys, urllib.request
objects = [{"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": f"team-{i}", "labels": {"team": ["pay", "shop", "ops"][i % 3]}}} for i in range(50)]
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/objects", data=json.dumps(objects).encode(), method="POST")).read()
PY

echo "== webhook certificate (openssl, P-256)" >&2
( cd "$WORK" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=bench-ca \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout webhook.key -out webhook.csr -subj /CN=webhook 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > webhook.ext
  openssl x509 -req -in webhook.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out webhook.crt -days 2 -extfile webhook.ext 2>/dev/null
  chmod 600 webhook.key ca.key )

echo "== manager" >&2
WEBHOOK=$(free_port); PROBES=$(free_port)
{
    cat <<YAML
apiVersion: rampart.io/v1
kind: ManagerConfiguration
metadata: {name: bench}
spec:
  listen: 127.0.0.1:$(free_port)
  probes: 127.0.0.1:$PROBES
  state: $WORK/manager.sqlite
  clusters: [{name: bench, clusterID: 9, kubeconfig: $WORK/kubeconfig}]
  admission:
    listen: 127.0.0.1:$WEBHOOK
    tls: {certificate: webhook.crt, key: webhook.key}
  imageTrust:
    default: deny
    rules:
YAML
    for i in $(seq 1 16); do echo "      - {name: team-$i, registry: registry.example.com, repository: \"team-$i/*\", tag: \"v*\", effect: allow}"; done
    cat <<YAML
      - {name: pay-strict, namespaceSelector: "team=pay", effect: deny}
      - {name: platform, registry: registry.example.com, repository: "platform/*", effect: allow}
      - {name: hub-official, registry: docker.io, repository: "library/*", effect: alert}
      - {name: quay, registry: quay.io, effect: deny}
YAML
} > "$WORK/manager.yaml"
"$BIN/rampart-manager" run --config "$WORK/manager.yaml" 2>"$WORK/manager.log" &
MANAGER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PROBES/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PROBES/readyz" >/dev/null || { echo "the manager is not ready"; cat "$WORK/manager.log"; exit 1; }

echo "== $RATE reviews/s for $SECONDS_ s" >&2
python3 - "$WEBHOOK" "$WORK/ca.crt" "$RATE" "$SECONDS_" "$WORK/result.json" "$REUSE" <<'PY'
import concurrent.futures, http.client, json, random, ssl, sys, threading, time, uuid
port, ca, rate, seconds, out = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
reuse = sys.argv[6] == "1"
local = threading.local()  # each client thread's kept connection, as a pooled transport keeps them
opened_lock, opened = threading.Lock(), [0]
context = ssl.create_default_context(cafile=ca)
rng = random.Random(1)

def container(name, image):
    return {"name": name, "image": image, "imagePullPolicy": "IfNotPresent", "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m"}},
            "env": [{"name": f"SETTING_{i}", "value": "x" * 20} for i in range(8)],
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}], "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File", "ports": [{"containerPort": 8080, "protocol": "TCP"}]}

def pod_spec(images):
    return {"containers": [container(f"c{i}", image) for i, image in enumerate(images)], "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst", "serviceAccountName": "default",
            "securityContext": {}, "schedulerName": "default-scheduler", "volumes": [{"name": "config", "configMap": {"name": "app"}}]}

KINDS = {"Pod": ("", "v1", "pods"), "Deployment": ("apps", "v1", "deployments"), "CronJob": ("batch", "v1", "cronjobs")}

def review(kind, ns, images, dry_run=False):
    group, version, resource = KINDS[kind]
    spec = pod_spec(images)
    template = {"metadata": {"labels": {"app": "w"}}, "spec": spec}
    body = {"Pod": spec, "Deployment": {"replicas": 2, "selector": {"matchLabels": {"app": "w"}}, "template": template},
            "CronJob": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}}[kind]
    obj = {"kind": kind, "apiVersion": f"{group}/{version}" if group else version,
           "metadata": {"name": f"w-{uuid.uuid4().hex[:8]}", "namespace": ns, "uid": str(uuid.uuid4()), "labels": {"app": "w"}}, "spec": body}
    gvk, gvr = {"group": group, "version": version, "kind": kind}, {"group": group, "version": version, "resource": resource}
    return {"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": {
        "uid": str(uuid.uuid4()), "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr, "name": obj["metadata"]["name"],
        "namespace": ns, "operation": "CREATE", "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller", "groups": ["system:serviceaccounts"]},
        "object": obj, "oldObject": None, "dryRun": dry_run, "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}}}

def sample(i):
    ns = f"team-{rng.randrange(50)}"
    pick = rng.random()
    if pick < 0.5:
        return review("Pod", ns if not ns.endswith(("0", "3", "6", "9")) else "team-1", [f"registry.example.com/team-{rng.randrange(1, 17)}/app:v1.{i % 9}", "registry.example.com/platform/proxy:2"])
    if pick < 0.75:
        return review("Deployment", ns, ["quay.io/evil/miner:1"])
    if pick < 0.9:
        return review("CronJob", "team-1", ["nginx:1.27"])
    return review("Pod", ns, ["quay.io/evil/miner:1"], dry_run=True)

total = int(rate * seconds)
bodies = [json.dumps(sample(i)).encode() for i in range(total)]
results = [None] * total

def exchange(i):
    connection = getattr(local, "connection", None) if reuse else None
    fresh = connection is None
    if fresh:
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        with opened_lock:
            opened[0] += 1
    connection.request("POST", "/admission/bench?timeout=10s", body=bodies[i], headers={"Content-Type": "application/json", "Accept": "application/json, */*"})
    answer = connection.getresponse()
    data = answer.read()
    if reuse and not answer.will_close:
        local.connection = connection
    else:
        connection.close()
        local.connection = None
    return answer, data, fresh

def send(i):
    start = time.perf_counter()
    try:
        try:
            answer, data, fresh = exchange(i)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The webhook closed a kept connection (idle timeout, requests per connection)
            # before this request: a transport opens a new one and sends it again.
            local.connection = None
            answer, data, fresh = exchange(i)
        ok = answer.status == 200 and b'"uid"' in data
        allowed = b'"allowed":true' in data
    except Exception as exc:  # noqa: BLE001 - counted and shown
        ok, allowed, data = False, False, str(exc).encode()
        local.connection = None
    results[i] = (time.perf_counter() - start, ok, allowed, data[:200])

def worker(index, workers, begin, queue):
    # Each process sends every workers-th review on the shared schedule, from its own
    # threads: one Python process's lock would otherwise be part of what is measured.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=16)
    late = 0
    for i in range(index, total, workers):
        due = begin + i / rate
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        elif now - due > 0.005:
            late += 1
        pool.submit(send, i)
    pool.shutdown(wait=True)
    queue.put((late, opened[0], [(i, results[i]) for i in range(index, total, workers)]))

import multiprocessing
workers = 4
queue = multiprocessing.Queue()
begin = time.perf_counter() + 0.5
processes = [multiprocessing.Process(target=worker, args=(w, workers, begin, queue)) for w in range(workers)]
for process in processes:
    process.start()
late = 0
connections = 0
for _ in processes:
    got_late, got_opened, got = queue.get()
    late += got_late
    connections += got_opened
    for i, result in got:
        results[i] = result
for process in processes:
    process.join()
elapsed = time.perf_counter() - begin
latencies = sorted(r[0] for r in results)
failed = [r for r in results if not r[1]]
def pct(p): return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000
summary = {"reviews": total, "seconds": round(elapsed, 1), "rate": round(total / elapsed, 1), "failed": len(failed), "late_starts": late, "connections": connections,
           "denied": sum(1 for r in results if r[1] and not r[2]),
           "p50_ms": round(pct(50), 2), "p90_ms": round(pct(90), 2), "p99_ms": round(pct(99), 2), "max_ms": round(latencies[-1] * 1000, 2),
           "body_bytes_mean": sum(len(b) for b in bodies) // total}
json.dump(summary, open(out, "w"))
if failed:
    print("failures, e.g.:", failed[0][3], file=sys.stderr)
PY
curl -s "http://127.0.0.1:$PROBES/metrics" > "$WORK/metrics"
RECORDED=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM admission").fetchone()[0])' "$WORK/manager.sqlite")
RSS=$(awk '/VmRSS/ {print $2}' /proc/$MANAGER/status)
python3 - "$WORK/result.json" "$WORK/metrics" "$RECORDED" "$RSS" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
metrics = open(sys.argv[2]).read()
buckets = [(float(m.group(1)) if m.group(1) != "+Inf" else float("inf"), int(m.group(2)))
           for m in re.finditer(r'rampart_manager_admission_seconds_bucket\{le="([^"]+)"\} (\d+)', metrics)]
count = buckets[-1][1] if buckets else 0
def bound(q):
    for le, n in buckets:
        if n >= q * count:
            return f"≤ {le * 1000:g} ms"
    return "?"
dry = int(re.search(r"rampart_manager_admission_dry_runs_total (\d+)", metrics).group(1))
print(f"reviews {r['reviews']} in {r['seconds']} s ({r['rate']}/s; {r['late_starts']} started > 5 ms late), failed {r['failed']}, denied {r['denied']}, body {r['body_bytes_mean']} B mean")
print(f"connections opened by the client: {r['connections']} ({'kept and reused' if r['connections'] < r['reviews'] else 'one per review'})")
print(f"client (review, + connect and TLS when new): p50 {r['p50_ms']} ms  p90 {r['p90_ms']} ms  p99 {r['p99_ms']} ms  max {r['max_ms']} ms")
print(f"manager (read → answer, histogram): p50 {bound(0.5)}, p99 {bound(0.99)}; dry runs {dry}; recorded {sys.argv[3]} (= reviews - dry runs: {int(sys.argv[3]) == r['reviews'] - dry})")
print(f"manager VmRSS {int(sys.argv[4]) / 1024:.1f} MiB")
print(f"target p99 ≤ 10 ms: {'met' if r['p99_ms'] <= 10 and r['failed'] == 0 else 'NOT met'}")
PY
