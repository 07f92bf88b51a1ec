#!/usr/bin/env python3
"""The console in a real browser: headless Chromium (Debian's chromium + chromium-driver,
driven by python3-selenium) against a real rampart-manager watching the project's Kubernetes
API test server (Tests/KubeAPIServer). See docs/console.md.

Checks: the console redirects to sign-in; a wrong password is refused, shown and audited;
the right one signs in; the map shows the fixture's namespaces and workloads (DOM) and a
screenshot that is not blank; a pod added to the cluster appears live (server-sent events)
without a reload; the workload page lists pods, addresses and tags; a POST without the CSRF
token, and one from another origin, are refused; a viewer cannot read the login audit; with
--pods N (default 5000) the map of N pods draws within a time limit; flow records sent to
the manager's log store over syslog TCP (as a firewall ships them) between the N pods'
workloads become coloured edges on the open map (the time until they show is printed,
with the time of GET /console/api/map at N pods with edges).

Usage: browser_test.py --manager .build/debug/rampart-manager [--pods 5000] [--keep]
"""
import argparse, json, os, shutil, signal, socket, struct, subprocess, sys, tempfile, time, urllib.request, urllib.error, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KUBE = os.path.join(ROOT, "Tests", "KubeAPIServer")
sys.path.insert(0, KUBE)
import kube_api_server as k  # noqa: E402  (the test server's object helpers)

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(0.2)
    raise SystemExit(f"timed out after {seconds} s waiting for {what}")


def fixture(extra_pods):
    """Namespaces shop and payments with Deployments (ReplicaSet-owned pods), a bare pod, and
    `extra_pods` more pods spread over 50 workloads of namespace scale."""
    objs = [k.make_namespace(n) for n in ("default", "shop", "payments", "scale")]
    objs.append(k.make_node("node-1", "10.0.0.1", "10.244.0.0/16"))
    ip = [1]

    def deployment(name, ns, replicas, app, hash_="5d4f8c7b9d"):
        dep = k.make_deployment(name, ns, replicas=replicas, labels={"app": app})
        rs = k.make_replicaset(dep, pod_template_hash=hash_)
        owner = k.owner_ref("ReplicaSet", rs["metadata"]["name"], rs["metadata"]["uid"])
        pods = []
        for i in range(replicas):
            n = ip[0]
            ip[0] += 1
            labels = dict(rs["metadata"]["labels"])
            labels["app"] = app
            pods.append(k.make_pod(f"{name}-{hash_}-{i:05d}", ns, ip=f"10.244.{n // 250}.{n % 250 + 1}", labels=labels, owner=owner))
        return [dep, rs] + pods

    objs += deployment("web", "shop", 3, "web")
    objs += deployment("cart", "shop", 2, "cart")
    objs += deployment("ledger", "payments", 2, "postgresql")
    objs.append(k.make_pod("debug-shell", "payments", ip="10.244.200.1", labels={"app": "debug"}))
    per = max(1, extra_pods // 50)
    made = 0
    w = 0
    while made < extra_pods:
        count = min(per, extra_pods - made)
        objs += deployment(f"svc-{w:02d}", "scale", count, f"svc{w}", hash_=f"{w:02d}aaaaaaa")
        made += count
        w += 1
    return objs


def png_rows(data, last_row=None):
    """Width, height, bytes per pixel and the unfiltered rows (up to `last_row`) of an 8-bit
    RGB(A) PNG, decoded here so the test needs no imaging library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
            bpp = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    i = 0
    for _ in range(height if last_row is None else min(height, last_row + 1)):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def png_stats(data):
    """Width, height and the number of distinct colours of an 8-bit RGB(A) PNG."""
    width, height, bpp, rows = png_rows(data)
    colours = set()
    for line in rows:
        for x in range(0, width * bpp, bpp * 7):  # a sample of pixels is enough to tell a blank page
            colours.add(bytes(line[x:x + 3]))
    return width, height, len(colours)


def syslog_frames(records):
    """EVE records as a firewall's shipper sends them: RFC 5424 messages, octet-counted."""
    out = bytearray()
    for record in records:
        line = json.dumps(record, separators=(",", ":"))
        message = f"<134>1 {record['timestamp']} fw-test rampart-firewall - {record['event_type']} - {line}".encode()
        out += str(len(message)).encode() + b" " + message
    return bytes(out)


def eve(kind, src, dest, action, rule, app="http"):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000+0000"
    record = {"timestamp": stamp, "event_type": kind, "src_ip": src, "src_port": 40000, "dest_ip": dest, "dest_port": 8080,
              "proto": "TCP", "app_proto": app, "rampart": {"rule": rule, "action": action, "app": app}}
    if kind == "flow":
        record["flow"] = {"action": action}
    else:
        record["alert"] = {"action": "allowed", "signature": "ET TEST console", "signature_id": 1}
    return record


def request(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manager", required=True)
    ap.add_argument("--pods", type=int, default=5000, help="extra pods in namespace scale (the 5,000-pod map)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    manager_binary = os.path.abspath(args.manager)
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise SystemExit("python3-selenium is missing: run scripts/setup.sh, and this script with Debian's /usr/bin/python3")
    for tool in ("chromium", "chromedriver"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: run scripts/setup.sh")

    work = tempfile.mkdtemp(prefix="rampart-console-")
    procs = []
    try:
        # The Kubernetes API test server with the fixture.
        fixture_objects = fixture(args.pods)
        with open(f"{work}/fixture.json", "w") as f:
            json.dump(fixture_objects, f)
        subprocess.run([f"{KUBE}/make-certs.sh", f"{work}/certs"], check=True, stdout=subprocess.DEVNULL)
        kube = subprocess.Popen([sys.executable, f"{KUBE}/kube_api_server.py", "--certs", f"{work}/certs", "--port", "0",
                                 "--control-port", "0", "--token", "console-test-token", "--write-ports", f"{work}/ports.json",
                                 "--write-kubeconfig", f"{work}/kubeconfig", "--fixture", f"{work}/fixture.json"],
                                stdout=open(f"{work}/kube.log", "w"), stderr=subprocess.STDOUT)
        procs.append(kube)
        wait_for(lambda: os.path.getsize(f"{work}/ports.json") > 0, 30, "the Kubernetes API test server")
        control = json.load(open(f"{work}/ports.json"))["control"]

        # Users: made with rampart-manager passwd, as docs/console.md says.
        lines = []
        for name, role, password in (("alice", "admin", "correct horse battery"), ("victor", "viewer", "viewer password 1")):
            out = subprocess.run([manager_binary, "passwd", name, "--role", role], input=password + "\n",
                                 capture_output=True, text=True, check=True).stdout
            lines.append(out)
        users = f"{work}/console-users"
        with open(users, "w") as f:
            f.writelines(lines)
        os.chmod(users, 0o600)
        port = freeport = free_port()
        syslog_port = free_port()
        with open(f"{work}/manager.yaml", "w") as f:
            f.write(f"""apiVersion: rampart.io/v1
kind: ManagerConfiguration
metadata: {{name: console-test}}
spec:
  listen: 127.0.0.1:{free_port()}
  probes: off
  state: {work}/manager.sqlite
  logs:
    listen: 127.0.0.1:{syslog_port}
    store: {work}/logs.sqlite
  console:
    listen: 127.0.0.1:{freeport}
    usersFile: {users}
  clusters:
    - name: lab
      clusterID: 7
      kubeconfig: {work}/kubeconfig
  firewalls:
    - name: fw-gone
      admin: http://127.0.0.1:{free_port()}
""")
        manager = subprocess.Popen([manager_binary, "run", "--config", f"{work}/manager.yaml"],
                                   stdout=open(f"{work}/manager.out", "w"), stderr=open(f"{work}/manager.log", "w"))
        procs.append(manager)
        base = f"http://localhost:{port}"
        wait_for(lambda: request(f"{base}/console/login")[0] == 200, 30, "the console")

        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
                     f"--user-data-dir={work}/chromium"):
            options.add_argument(flag)
        options.binary_location = shutil.which("chromium")
        service = Service(executable_path=shutil.which("chromedriver"))
        driver = webdriver.Chrome(options=options, service=service)
        try:
            driver.get(f"{base}/console/")
            check(driver.current_url.endswith("/console/login"), "signed out, the console redirects to the sign-in page")

            def sign_in(user, password):
                driver.get(f"{base}/console/login")
                driver.find_element(By.ID, "user").clear()
                driver.find_element(By.ID, "user").send_keys(user)
                driver.find_element(By.ID, "password").send_keys(password)
                driver.find_element(By.ID, "sign-in").click()

            sign_in("alice", "wrong password")
            wait_for(lambda: driver.find_element(By.ID, "login-error").text != "", 10, "the sign-in error")
            check("wrong user name or password" in driver.find_element(By.ID, "login-error").text, "a wrong password is refused and shown")
            check(driver.current_url.endswith("/console/login"), "a wrong password does not sign in")

            started = time.time()
            sign_in("alice", "correct horse battery")
            wait_for(lambda: driver.current_url.endswith("/console/"), 10, "the map page after sign-in")
            wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "[data-workload]")) >= 3, 30, "workloads on the map")
            session = driver.get_cookie("rampart_session")
            check(session is not None and session.get("httpOnly") and session.get("secure") and session.get("sameSite") == "Strict",
                  f"the session cookie is HttpOnly, Secure and SameSite=Strict ({session and {k: session.get(k) for k in ('httpOnly', 'secure', 'sameSite')}})")
            check(driver.execute_script("return document.cookie.includes('rampart_session')") is False, "page scripts cannot read the session cookie")

            namespaces = {e.get_attribute("data-namespace") for e in driver.find_elements(By.CSS_SELECTOR, "[data-namespace]")}
            check({"shop", "payments", "scale"} <= namespaces, f"the map shows the namespaces ({sorted(namespaces)})")
            workloads = {e.get_attribute("data-workload") for e in driver.find_elements(By.CSS_SELECTOR, "[data-workload]")}
            check({"lab/shop/web", "lab/shop/cart", "lab/payments/ledger", "lab/payments/debug-shell"} <= workloads,
                  "the map shows the workloads (Deployments by name, a bare pod by its own)")
            status = driver.find_element(By.ID, "map-status").text
            total = 8 + args.pods
            check(f"{total} pods" in status, f"all {total} pods counted, grouped in {len(workloads)} workloads ({status})")
            print(f"      sign-in to a drawn map of {total} pods: {time.time() - started:.2f} s", flush=True)
            web = driver.find_element(By.CSS_SELECTOR, "[data-workload='lab/shop/web']").text
            check("×3" in web, f"the web workload shows its 3 pods ({web})")

            shot = f"{work}/map.png"
            driver.save_screenshot(shot)
            width, height, colours = png_stats(open(shot, "rb").read())
            check(width >= 1000 and height >= 700 and colours >= 8, f"the screenshot is a drawn map ({width}x{height}, {colours} colours sampled)")
            shutil.copy(shot, os.environ.get("CONSOLE_SCREENSHOT", f"/tmp/rampart-console-map-{os.getpid()}.png"))

            # Flows between the scale workloads, shipped as a firewall ships them: each workload's
            # pods call the next workload's (allowed), every tenth call is denied, and svc-02 →
            # svc-03 raises an alert. The open map colours the edges without a reload.
            addresses = {}
            for obj in fixture_objects:
                if obj["kind"] == "Pod" and obj["metadata"]["namespace"] == "scale":
                    addresses.setdefault(obj["metadata"]["labels"]["app"], []).append(obj["status"]["podIP"])
            apps = sorted(addresses, key=lambda a: int(a[3:]))
            records = []
            for index, app in enumerate(apps):
                peers = addresses[apps[(index + 1) % len(apps)]]
                for n, src in enumerate(addresses[app]):
                    for call in range(4):
                        denied = (n * 4 + call) % 10 == 9
                        records.append(eve("flow", src, peers[(n + call) % len(peers)], "deny" if denied else "allow", "no-scale" if denied else "scale"))
            if len(apps) > 3:
                records.append(eve("alert", addresses[apps[2]][0], addresses[apps[3]][0], "allowed", "scale"))
            frames = syslog_frames(records)
            marker = driver.execute_script("window.__marker = 2; return window.__marker")
            sent = time.time()
            with socket.create_connection(("127.0.0.1", syslog_port)) as conn:
                conn.sendall(frames)
            sent_done = time.time()
            if len(apps) > 3:
                threat = "path.edge.threat[data-from='lab/scale/svc-02'][data-to='lab/scale/svc-03']"
                wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, threat), 30, "the threat edge on the map")
                shown = time.time()
                edges = driver.find_elements(By.CSS_SELECTOR, "path.edge")
                verdicts = {e.get_attribute("data-verdict") for e in edges}
                check(verdicts == {"allowed", "denied", "threat"} and len(edges) >= 2 * len(apps),
                      f"{len(records)} flow records became {len(edges)} strokes between {len(apps)} workloads ({sorted(verdicts)})")
                check(driver.execute_script("return window.__marker") == marker, "the edges appeared live, without a reload")
                print(f"      {len(records)} records sent over syslog in {sent_done - sent:.2f} s; on the open map "
                      f"{shown - sent_done:.2f} s after the last was sent", flush=True)
                cookie_header = {"Cookie": f"rampart_session={driver.get_cookie('rampart_session')['value']}"}
                timings = []
                for _ in range(5):
                    t = time.time()
                    code, body = request(f"{base}/console/api/map", headers=cookie_header)
                    timings.append(time.time() - t)
                answer = json.loads(body)
                check(code == 200 and len(answer["edges"]) == len(apps), f"the map API answers {len(answer['edges'])} workload edges")
                timings.sort()
                print(f"      GET /console/api/map at {total} pods with {len(answer['edges'])} edges: median {timings[2] * 1000:.0f} ms, "
                      f"{len(body) // 1024} KiB", flush=True)
                t = time.time()
                driver.get(f"{base}/console/")
                wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "path.edge")) >= 2 * len(apps), 30, "the edges after a reload")
                print(f"      a fresh page to a drawn map of {total} pods with its edges: {time.time() - t:.2f} s", flush=True)

            # Live: a new Deployment's pod appears without a reload (server-sent events).
            marker = driver.execute_script("window.__marker = 1; return window.__marker")
            new = k.make_deployment("checkout", "shop", replicas=1, labels={"app": "checkout"})
            rs = k.make_replicaset(new, pod_template_hash="7c7c7c7c7c")
            pod = k.make_pod("checkout-7c7c7c7c7c-aaaaa", "shop", ip="10.244.250.9", labels={"app": "checkout"},
                             owner=k.owner_ref("ReplicaSet", rs["metadata"]["name"], rs["metadata"]["uid"]))
            status_code, _ = request(f"http://127.0.0.1:{control}/objects", "POST", json.dumps([new, rs, pod]).encode(),
                                     {"Content-Type": "application/json"})
            check(status_code in (200, 201), "the test server took the new pod")
            added = time.time()
            wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "[data-workload='lab/shop/checkout']"), 15, "the new workload on the map")
            check(driver.execute_script("return window.__marker") == marker, f"the new workload appeared live, without a reload ({time.time() - added:.1f} s)")

            # Filter by namespace.
            driver.get(f"{base}/console/?ns=payments")
            wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "[data-workload='lab/payments/ledger']"), 10, "the filtered map")
            shown = {e.get_attribute("data-namespace") for e in driver.find_elements(By.CSS_SELECTOR, "[data-namespace]")}
            check(shown == {"payments"}, f"the namespace filter shows only payments ({sorted(shown)})")
            driver.get(f"{base}/console/?app=postgresql")
            wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "[data-workload]"), 10, "the application filter")
            shown = {e.get_attribute("data-workload") for e in driver.find_elements(By.CSS_SELECTOR, "[data-workload]")}
            check(shown == {"lab/payments/ledger"}, f"the application filter shows only app postgresql ({sorted(shown)})")

            # The workload page: pods, addresses, tags now and then.
            driver.get(f"{base}/console/workload?id=lab/shop/web&at=2000-01-01T00:00:00Z")
            wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#pods tbody tr")) == 3, 10, "the workload's pods")
            text = driver.find_element(By.ID, "pods").text
            check("10.244." in text and "workload:web" in text and "ns:shop" in text, "the workload page lists pods, addresses and tags")
            check(driver.find_elements(By.CSS_SELECTOR, "#pods tbody tr td:nth-child(5)")[0].text == "",
                  "the tags at a time before the cluster existed are none")

            # CSRF: the session cookie alone does not change anything.
            cookie = f"rampart_session={session['value']}"
            code, body = request(f"{base}/console/api/logout", "POST", b"", {"Cookie": cookie})
            check(code == 403 and "CSRF" in body, f"a POST without the CSRF token is refused ({code})")
            token = driver.execute_script("return csrf")
            code, body = request(f"{base}/console/api/logout", "POST", b"", {"Cookie": cookie, "X-CSRF-Token": token, "Origin": "https://evil.example"})
            check(code == 403 and "cross-origin" in body, f"a POST from another origin is refused ({code})")
            code, body = request(f"{base}/console/api/login", "POST", b'{"user":"alice","password":"correct horse battery"}',
                                 {"Content-Type": "application/json"})
            check(code == 403, f"a sign-in without the sign-in CSRF token is refused ({code})")
            code, _ = request(f"{base}/console/api/session", headers={"Cookie": cookie})
            check(code == 200, "the session survived the refused requests")

            # The audit: the failure and the success, shown to the admin.
            driver.get(f"{base}/console/logins")
            wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#logins tbody tr"), 10, "the login audit")
            rows = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#logins tbody tr")]
            check(any("alice" in r and "login-failed" in r and "wrong password" in r for r in rows), "the wrong password is in the audit log")
            check(any("alice" in r and " login " in f" {r} " and "admin" in r for r in rows), "the sign-in is in the audit log")
            db = subprocess.run(["sqlite3", f"{work}/manager.sqlite", "SELECT event, user FROM access ORDER BY id"], capture_output=True, text=True)
            if db.returncode == 0:
                check("login-failed|alice" in db.stdout and "login|alice" in db.stdout, "the state database holds both records")

            # The firewalls page: a firewall nobody answers for is listed, unreachable, with no share.
            driver.get(f"{base}/console/firewalls")
            wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#firewalls tbody tr"), 10, "the firewalls page")
            rows = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#firewalls tbody tr")]
            check(any("fw-gone" in r and " no " in f" {r} " and "0.0 %" in r for r in rows), f"the unreachable firewall is listed with no share: {rows}")

            # Sign out: the old cookie is dead.
            driver.find_element(By.ID, "sign-out").click()
            wait_for(lambda: driver.current_url.endswith("/console/login"), 10, "the sign-in page after signing out")
            code, _ = request(f"{base}/console/api/session", headers={"Cookie": cookie})
            check(code == 401, f"after signing out the session cookie is refused ({code})")

            # A viewer reads the map but not the login audit.
            sign_in("victor", "viewer password 1")
            wait_for(lambda: driver.current_url.endswith("/console/"), 10, "the viewer's map")
            viewer = f"rampart_session={driver.get_cookie('rampart_session')['value']}"
            code, _ = request(f"{base}/console/api/logins", headers={"Cookie": viewer})
            check(code == 403, f"a viewer may not read the login audit ({code})")
        finally:
            driver.quit()
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if failures or args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("all console browser checks passed")


if __name__ == "__main__":
    main()
