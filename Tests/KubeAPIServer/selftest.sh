#!/usr/bin/env bash
# Self-test for kube_api_server.py: certs, auth, list chunking, watch, bookmarks, 410s, faults, churn.
# Loopback only. Prints "selftest: ok" and exits 0 on success; exits non-zero on the first failure.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # the selftest imports the server module; keep the tree clean

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "selftest: FAIL: $*" >&2; [[ -f "$work/server.log" ]] && tail -20 "$work/server.log" >&2; exit 1; }

"$here/make-certs.sh" "$work/certs" >/dev/null
token="selftest-token-$$"
python3 "$here/kube_api_server.py" --certs "$work/certs" --port 0 --control-port 0 --token "$token" \
  --bookmark-interval 1 --write-ports "$work/ports.json" --write-kubeconfig "$work/kubeconfig" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do [[ -s "$work/ports.json" ]] && break; sleep 0.05; done
[[ -s "$work/ports.json" ]] || fail "server did not write its ports"
api=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api"])' "$work/ports.json")
ctl=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control"])' "$work/ports.json")
A="https://127.0.0.1:$api"
C="http://127.0.0.1:$ctl"
tls=(--silent --show-error --cacert "$work/certs/ca.crt")
auth=(-H "Authorization: Bearer $token")
cert=(--cert "$work/certs/client.crt" --key "$work/certs/client.key")

# --- auth (curl) ------------------------------------------------------------
code=$(curl "${tls[@]}" -o "$work/body" -w '%{http_code}' "$A/api/v1/pods")
[[ $code == 401 ]] || fail "no auth gave $code"
python3 - "$work/body" <<'PY' || fail "401 body is not a real Status"
import json, sys
b = json.load(open(sys.argv[1]))
assert b == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
             "message": "Unauthorized", "reason": "Unauthorized", "code": 401}, b
PY
code=$(curl "${tls[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong" "$A/api/v1/pods")
[[ $code == 401 ]] || fail "wrong token gave $code"
code=$(curl "${tls[@]}" "${auth[@]}" -o /dev/null -w '%{http_code}' "$A/api/v1/pods")
[[ $code == 200 ]] || fail "token auth gave $code"
code=$(curl "${tls[@]}" "${cert[@]}" -o /dev/null -w '%{http_code}' "$A/apis/apps/v1/namespaces/x/deployments")
[[ $code == 200 ]] || fail "client cert auth gave $code"
if curl "${tls[@]}" --cert "$work/certs/other-client.crt" --key "$work/certs/other-client.key" -o /dev/null "$A/api/v1/pods" 2>/dev/null; then
  fail "client cert from the wrong CA was accepted"
fi
if curl --silent --cacert "$work/certs/other-ca.crt" "${auth[@]}" -o /dev/null "$A/version" 2>/dev/null; then
  fail "server cert verified against the wrong CA"
fi
code=$(curl "${tls[@]}" "${auth[@]}" -o "$work/body" -w '%{http_code}' "$A/api/v1/widgets")
[[ $code == 404 ]] && grep -q '"reason":"NotFound"' "$work/body" || fail "unknown path gave $code"
curl "${tls[@]}" "${auth[@]}" "$A/version" | grep -q '"gitVersion":"v1.31.0"' || fail "/version"
grep -q 'certificate-authority-data:' "$work/kubeconfig" && grep -q 'client-key-data:' "$work/kubeconfig" \
  && grep -q 'current-context: rampart-token' "$work/kubeconfig" || fail "kubeconfig"

# --- fail_next (curl) -------------------------------------------------------
curl -sf -X POST "$C/faults" -d '{"fail_next":{"count":2,"status":503}}' >/dev/null
for _ in 1 2; do
  code=$(curl "${tls[@]}" "${auth[@]}" -o "$work/body" -w '%{http_code}' "$A/api/v1/pods")
  [[ $code == 503 ]] && grep -q '"reason":"ServiceUnavailable"' "$work/body" || fail "fail_next 503 gave $code"
done
code=$(curl "${tls[@]}" "${auth[@]}" -o /dev/null -w '%{http_code}' "$A/api/v1/pods")
[[ $code == 200 ]] || fail "after fail_next gave $code"
curl -sf -X POST "$C/faults" -d '{"fail_next":{"count":1,"status":429}}' >/dev/null
curl "${tls[@]}" "${auth[@]}" -D "$work/headers" -o /dev/null "$A/api/v1/pods"
grep -qi '^retry-after: 1' "$work/headers" && grep -q ' 429' "$work/headers" || fail "429 without Retry-After"

curl -sf -X POST "$C/faults" -d '{"delay_ms":300}' >/dev/null
t=$(curl "${tls[@]}" "${auth[@]}" -o /dev/null -w '%{time_total}' "$A/api/v1/pods")
curl -sf -X POST "$C/faults" -d '{"delay_ms":0}' >/dev/null
python3 -c "import sys; sys.exit(0 if float('$t') >= 0.29 else 1)" || fail "delay_ms not applied ($t s)"

# --- token expiry (curl) ----------------------------------------------------
curl -sf -X POST "$C/faults" -d '{"expire_tokens":true,"token":"fresh"}' >/dev/null
code=$(curl "${tls[@]}" "${auth[@]}" -o /dev/null -w '%{http_code}' "$A/api/v1/pods")
[[ $code == 401 ]] || fail "expired token gave $code"
code=$(curl "${tls[@]}" -H "Authorization: Bearer fresh" -o /dev/null -w '%{http_code}' "$A/api/v1/pods")
[[ $code == 200 ]] || fail "new token gave $code"
code=$(curl "${tls[@]}" "${cert[@]}" -o /dev/null -w '%{http_code}' "$A/api/v1/pods")
[[ $code == 200 ]] || fail "cert after token expiry gave $code"
curl -sf -X POST "$C/faults" -d "{\"token\":\"$token\"}" >/dev/null

# --- the rest (python: raw chunk-level checks) ------------------------------
python3 - "$api" "$ctl" "$work/certs" "$token" "$here" <<'PY' || fail "python checks"
import base64, http.client, json, socket, ssl, sys, threading, time, urllib.request
api, ctl, certs, token, here = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
sys.path.insert(0, here)
import kube_api_server as k

ctx = ssl.create_default_context(cafile=f"{certs}/ca.crt")
def control(method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{ctl}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)

def get(path, use_cert=False):
    c = ssl.create_default_context(cafile=f"{certs}/ca.crt")
    if use_cert:
        c.load_cert_chain(f"{certs}/client.crt", f"{certs}/client.key")
    conn = http.client.HTTPSConnection("127.0.0.1", api, context=c, timeout=20)
    conn.request("GET", path, headers={} if use_cert else {"Authorization": f"Bearer {token}"})
    r = conn.getresponse()
    return r.status, json.loads(r.read())

class Watch(threading.Thread):
    """Raw HTTP/1.1 watch reader: keeps every chunk, and whether the stream ended cleanly."""
    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.chunks, self.clean_end, self.eof, self.status, self.headers = path, [], False, False, None, ""
        self.ready = threading.Event()
    def run(self):
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", api)), server_hostname="127.0.0.1")
        s.sendall(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        f = s.makefile("rb")
        status = f.readline().decode()
        self.status = int(status.split()[1])
        while (line := f.readline()) not in (b"\r\n", b""):
            self.headers += line.decode().lower()
        self.ready.set()
        try:
            while True:
                size_line = f.readline()
                if not size_line:
                    self.eof = True; return
                n = int(size_line.strip(), 16)
                if n == 0:
                    f.readline(); self.clean_end = True; return
                data = f.read(n); assert f.read(2) == b"\r\n"
                assert data.endswith(b"\n") and data.count(b"\n") == 1, data  # one event per chunk
                self.chunks.append(json.loads(data))
        except (OSError, ssl.SSLError, ValueError):
            self.eof = True
    def types(self):
        return [c["type"] for c in self.chunks]

def wait_for(cond, secs=10, what="condition"):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")

# list chunking with continue
pods = [k.make_pod(f"web-{i:03d}", "selftest", node="node-1", ip=f"10.244.9.{i + 1}", labels={"app": "web", "idx": str(i)})
        for i in range(25)]
control("POST", "/objects", pods)
st, page = get("/api/v1/namespaces/selftest/pods?limit=10")
assert st == 200 and page["kind"] == "PodList" and page["apiVersion"] == "v1", page.get("kind")
assert page["metadata"]["remainingItemCount"] == 15 and page["metadata"]["continue"]
assert all("kind" not in i and "apiVersion" not in i for i in page["items"])
rv0, names, token_1 = page["metadata"]["resourceVersion"], [i["metadata"]["name"] for i in page["items"]], page["metadata"]["continue"]
control("POST", "/objects", k.make_pod("web-zzz", "selftest", node="node-1"))  # after the snapshot: must not show
while page["metadata"].get("continue"):
    st, page = get(f"/api/v1/namespaces/selftest/pods?limit=10&continue={page['metadata']['continue']}", use_cert=True)
    assert st == 200 and page["metadata"]["resourceVersion"] == rv0, page
    names += [i["metadata"]["name"] for i in page["items"]]
assert names == [f"web-{i:03d}" for i in range(25)], names
st, page = get("/api/v1/pods?labelSelector=app%3Dweb,idx%20in%20(3,4)&fieldSelector=spec.nodeName%3Dnode-1")
assert [i["metadata"]["name"] for i in page["items"]] == ["web-003", "web-004"], page["items"]
st, page = get("/api/v1/pods?fieldSelector=status.phase%3DPending")
assert [i["metadata"]["name"] for i in page["items"]] == ["web-zzz"]

# watch: ADDED / MODIFIED / DELETED after control writes, plus a bookmark
st, lst = get("/api/v1/namespaces/selftest/pods")
w = Watch(f"/api/v1/namespaces/selftest/pods?watch=1&resourceVersion={lst['metadata']['resourceVersion']}&allowWatchBookmarks=true")
w.start(); w.ready.wait(5)
assert w.status == 200 and "transfer-encoding: chunked" in w.headers and "content-type: application/json" in w.headers
wait_for(lambda: control("GET", "/state")["watches"] >= 1, what="watch registered")
p = k.make_pod("watched", "selftest", node="node-2")
control("POST", "/objects", p)
p2 = control("GET", "/objects/pods/selftest/watched")
p2["status"].update({"phase": "Running", "podIP": "10.244.9.200", "podIPs": [{"ip": "10.244.9.200"}]})
control("POST", "/objects", p2)
control("POST", "/objects", k.make_pod("elsewhere", "other-ns"))  # other namespace: not delivered
control("DELETE", "/objects/pods/selftest/watched")
wait_for(lambda: "DELETED" in w.types() and "BOOKMARK" in w.types(), 5, "watch events + bookmark")
ev = [c for c in w.chunks if c["type"] != "BOOKMARK"]
assert [c["type"] for c in ev] == ["ADDED", "MODIFIED", "DELETED"], w.types()
assert all(c["object"]["kind"] == "Pod" and c["object"]["apiVersion"] == "v1" for c in ev)
assert ev[1]["object"]["status"]["podIP"] == "10.244.9.200"
rvs = [int(c["object"]["metadata"]["resourceVersion"]) for c in ev]
assert rvs == sorted(rvs) and len(set(rvs)) == 3, rvs
bm = next(c for c in w.chunks if c["type"] == "BOOKMARK")
assert bm["object"]["kind"] == "Pod" and set(bm["object"]["metadata"]) == {"resourceVersion"}, bm

# timeoutSeconds ends the stream cleanly; resourceVersion=0 sends synthetic ADDED first
w2 = Watch("/api/v1/namespaces/selftest/pods?watch=true&resourceVersion=0&timeoutSeconds=1")
w2.start(); w2.join(5)
assert w2.clean_end and w2.types() == ["ADDED"] * 26, (w2.clean_end, w2.types())

# break_watches: stream ends without the terminating chunk
w3 = Watch("/api/v1/pods?watch=1&allowWatchBookmarks=true&resourceVersion=" + lst["metadata"]["resourceVersion"])
w3.start(); w3.ready.wait(5)
wait_for(lambda: control("GET", "/state")["watches"] >= 2, what="second watch")
assert control("POST", "/faults", {"break_watches": True})["broken_watches"] >= 2
w.join(5); w3.join(5)
assert w3.eof and not w3.clean_end and w.eof and not w.clean_end

# stall: nothing (not even bookmarks) for the stall, then delivery resumes
st, lst = get("/api/v1/namespaces/selftest/pods")
w4 = Watch(f"/api/v1/namespaces/selftest/pods?watch=1&allowWatchBookmarks=true&resourceVersion={lst['metadata']['resourceVersion']}")
w4.start(); w4.ready.wait(5)
wait_for(lambda: control("GET", "/state")["watches"] >= 1, what="stall watch")
control("POST", "/faults", {"stall_watches_seconds": 1.5})
control("POST", "/objects", k.make_pod("stalled", "selftest"))
time.sleep(1.2)
assert w4.chunks == [], w4.chunks
wait_for(lambda: "ADDED" in w4.types(), 3, "delivery after stall")

# compact: old continue token and old watch RV get 410 Expired
st, page = get("/api/v1/pods?limit=5")
old_rv = page["metadata"]["resourceVersion"]
control("POST", "/objects", k.make_pod("after-list", "selftest"))
control("POST", "/faults", {"compact": True})
st, body = get(f"/api/v1/pods?limit=5&continue={page['metadata']['continue']}")
assert st == 410 and body["reason"] == "Expired" and body["code"] == 410 and body["kind"] == "Status", (st, body)
assert body["message"].startswith("The provided continue parameter is too old"), body
w5 = Watch(f"/api/v1/pods?watch=1&resourceVersion={old_rv}")
w5.start(); w5.join(5)
assert w5.status == 200 and w5.clean_end and w5.types() == ["ERROR"], (w5.status, w5.chunks)
err = w5.chunks[0]["object"]
assert err["kind"] == "Status" and err["code"] == 410 and err["reason"] == "Expired" and err["status"] == "Failure"
assert err["message"].startswith(f"too old resource version: {old_rv} ("), err
control("POST", "/faults", {"break_watches": True}); w4.join(5)

# request log
log = control("GET", "/requests")
auths = {e["auth"] for e in log}
assert {"token", "cert", "none"} <= auths and any(e["status"] == 503 for e in log) and any(e["status"] == 401 for e in log)
assert all({"method", "path", "query", "auth", "status"} <= set(e) for e in log)
control("DELETE", "/requests")
assert control("GET", "/requests") == []

# churn at scale: 20 concurrent watches from one RV + 5000 pods, chunked list of 500, IP reuse
st, base = get("/api/v1/pods?limit=1")
start_rv = base["metadata"]["resourceVersion"]
watches = [Watch(f"/api/v1/pods?watch=1&allowWatchBookmarks=true&resourceVersion={start_rv}") for _ in range(20)]
for x in watches: x.start()
for x in watches: x.ready.wait(5)
wait_for(lambda: control("GET", "/state")["watches"] >= 20, what="20 watches")
st, before = get("/api/v1/pods")
assert control("POST", "/churn", {"namespaces": 200, "pods": 5000, "rate": 100, "seconds": 3, "nodes": 10})["started"]
wait_for(lambda: not control("GET", "/churn/status")["running"], 40, "churn end")
status = control("GET", "/churn/status")
assert status["events"] >= 5000 + 200, status
items, cont, pages = [], "", 0
while True:
    st, page = get("/api/v1/pods?limit=500" + (f"&continue={cont}" if cont else ""))
    assert st == 200, page
    items += page["items"]; pages += 1
    cont = page["metadata"].get("continue")
    if not cont:
        break
assert pages >= 10 and len(items) >= 5000, (pages, len(items))
marker = control("POST", "/objects", k.make_pod("marker", "selftest"))
items.append(dict(marker))
def synced(x):
    return any(c["type"] == "ADDED" and c["object"]["metadata"]["name"] == "marker" for c in x.chunks[-50:])
wait_for(lambda: all(synced(x) for x in watches), 20, "watchers caught up")
expect = {(i["metadata"]["namespace"], i["metadata"]["name"]): i["metadata"]["resourceVersion"] for i in items}
for x in watches:
    cache = {(i["metadata"]["namespace"], i["metadata"]["name"]): i["metadata"]["resourceVersion"] for i in before["items"]}
    for c in x.chunks:
        md = c["object"]["metadata"]
        if c["type"] in ("ADDED", "MODIFIED"):
            cache[(md["namespace"], md["name"])] = md["resourceVersion"]
        elif c["type"] == "DELETED":
            cache.pop((md["namespace"], md["name"]))
    assert cache == expect, "watch cache diverged from the list"
churn_log = control("GET", "/churn/log")
by_ip = {}
for e in churn_log:
    by_ip.setdefault(e["ip"], []).append(e)
reused = {ip: es for ip, es in by_ip.items() if len({e["pod"] for e in es}) > 1}
assert reused, "no IP was reused during churn"
assert all(e["assigned_at"] > 0 and e["ip"].startswith("10.244.") for e in churn_log)
# each reused IP: the earlier holder was DELETED in the stream before the new holder got the IP
chunks = watches[0].chunks
ip, es = next(iter(reused.items()))
old_pod, new_pod = es[0]["pod"], es[1]["pod"]
pos_del = next(i for i, c in enumerate(chunks) if c["type"] == "DELETED" and
               f'{c["object"]["metadata"]["namespace"]}/{c["object"]["metadata"]["name"]}' == old_pod)
pos_new = next(i for i, c in enumerate(chunks) if c["type"] == "MODIFIED" and c["object"]["status"].get("podIP") == ip and
               f'{c["object"]["metadata"]["namespace"]}/{c["object"]["metadata"]["name"]}' == new_pod)
assert pos_del < pos_new
control("POST", "/faults", {"break_watches": True})
for x in watches: x.join(5)
print(f"python checks ok: {len(items)} pods in {pages} pages, {len(reused)} reused IPs, {status['events']} churn events")
PY

# --- clean shutdown on SIGTERM ----------------------------------------------
kill -TERM "$server_pid"
for _ in $(seq 1 60); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then fail "server did not stop on SIGTERM"; fi
wait "$server_pid" || fail "server exited with status $?"
server_pid=""
grep -q Traceback "$work/server.log" && fail "server logged a traceback"

# --- bookmarks as the real API server sends them (the default) -------------------
# No bookmark on a timer: nothing at all on a watch of a resource that has not changed
# since the server started, until timeoutSeconds ends it cleanly; a resource that changed
# gets one bookmark 2 s before the watch's timeout.
rm -f "$work/ports.json"
python3 "$here/kube_api_server.py" --certs "$work/certs" --port 0 --control-port 0 --token "$token" \
  --write-ports "$work/ports.json" --demo >"$work/server2.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do [[ -s "$work/ports.json" ]] && break; sleep 0.05; done
[[ -s "$work/ports.json" ]] || fail "second server did not write its ports"
python3 - "$work/ports.json" "$work/certs/ca.crt" "$token" <<'PY' || fail "bookmarks are not sent as the real API server sends them"
import http.client, json, ssl, sys, time, urllib.request
ports = json.load(open(sys.argv[1]))
ctx = ssl.create_default_context(cafile=sys.argv[2])
def watch(path):
    c = http.client.HTTPSConnection("127.0.0.1", ports["api"], context=ctx, timeout=10)
    start = time.monotonic()
    c.request("GET", path, headers={"Authorization": "Bearer " + sys.argv[3]})
    r = c.getresponse()
    assert r.status == 200, r.status
    lines = []
    while True:
        line = r.readline()  # http.client raises IncompleteRead if the final chunk is missing
        if not line:
            break
        lines.append((round(time.monotonic() - start, 1), json.loads(line)["type"]))
    return lines, time.monotonic() - start
# --demo objects are loaded before serving: not changes. Namespaces stay silent.
rv = json.load(urllib.request.urlopen(f"http://127.0.0.1:{ports['control']}/state"))["resourceVersion"]
lines, took = watch(f"/api/v1/namespaces?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=4")
assert lines == [] and 3.8 <= took <= 5, (lines, took)
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{ports['control']}/objects", method="POST",
    data=json.dumps({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "changed"}}).encode())).read()
st = json.load(urllib.request.urlopen(f"http://127.0.0.1:{ports['control']}/state"))
rv = st["resourceVersion"]
lines, took = watch(f"/api/v1/namespaces?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=4")
assert [t for _, t in lines] == ["BOOKMARK"] and 1.5 <= lines[0][0] <= 2.6 and 3.8 <= took <= 5, (lines, took)
lines, took = watch(f"/api/v1/pods?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=3")
assert lines == [] and 2.8 <= took <= 4, (lines, took)
print("real-style bookmarks ok")
PY
kill -TERM "$server_pid"; wait "$server_pid" || fail "second server exited with status $?"
server_pid=""
echo "selftest: ok"
