#!/usr/bin/env python3
"""The kubelet's side of the containerd end-to-end test (scripts/containerd-e2e.sh).

Talks to containerd over the CRI gRPC API (runtime.v1, stubs generated from
runtime.proto beside this file) the way the kubelet does, and keeps the local Kubernetes
API test server (Tests/KubeAPIServer) in step the way the API server and the kubelet
would: a pod exists there (Pending, with its UID and node) before its sandbox is run, gets
its IP once RunPodSandbox returned, and is deleted after RemovePodSandbox.

    cri_driver.py --socket SOCK --gen DIR wait-ready
    cri_driver.py ... cni-plugins                      # plugin types of the CNI config containerd loaded
    cri_driver.py ... pod-up --name web --namespace shop --label app=web [--annotation k=v]
    cri_driver.py ... pod-down ID --name web --namespace shop
    cri_driver.py ... daemon --spec FILE               # a host-network pod and its container (DaemonSet-like)
    cri_driver.py ... exec CONTAINER -- CMD ...        # ExecSync, as an exec probe
    cri_driver.py ... cycle --count 50 --warmup 5 --namespace shop --prefix churn [--compare bare]
    cri_driver.py ... cleanup                          # stop and remove every container and sandbox

Every command prints one JSON object on standard output; failures exit 1 with a message
on standard error that names the RPC and what containerd answered.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "KubeAPIServer"))
import kube_api_server as kube  # noqa: E402  (the API test server's object builders)

pb = rpc = None  # the generated modules, loaded by main()
RPC_TIMEOUT = 120


class Failure(Exception):
    pass


def call(stub, method, request, timeout=RPC_TIMEOUT):
    try:
        return getattr(stub, method)(request, timeout=timeout)
    except grpc.RpcError as e:  # the status and containerd's message, verbatim
        raise Failure(f"CRI {method} failed: {e.code().name}: {e.details()}") from None


class Cluster:
    """The API test server's control port: pods and namespaces as the API server holds them."""

    def __init__(self, control, node):
        self.control = control.rstrip("/") if control else None
        self.node = node

    def _request(self, method, path, body=None):
        if not self.control:
            return None
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.control + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raise Failure(f"API test server {method} {path}: HTTP {e.code} {e.read()[:300]!r}") from None
        except OSError as e:
            raise Failure(f"API test server {method} {path}: {e}") from None

    def pod(self, name, namespace, uid, labels, annotations, ip=None, host_network=False):
        obj = kube.make_pod(name, namespace=namespace, node=self.node, ip=ip, labels=labels,
                            annotations=annotations or {}, host_ip="10.200.0.1", host_network=host_network)
        obj["metadata"]["uid"] = uid
        self._request("POST", "/objects", obj)

    def delete_pod(self, name, namespace):
        try:
            self._request("DELETE", f"/objects/pods/{namespace}/{name}")
        except Failure as e:
            if "HTTP 404" not in str(e):
                raise


class Runtime:
    def __init__(self, socket, cgroup_parent, logs):
        channel = grpc.insecure_channel("unix://" + socket)
        self.runtime = rpc.RuntimeServiceStub(channel)
        self.images = rpc.ImageServiceStub(channel)
        self.cgroup_parent = cgroup_parent
        self.logs = logs

    # The PodSandboxConfig the kubelet builds (pkg/kubelet/kuberuntime/kuberuntime_sandbox.go):
    # metadata, the io.kubernetes.pod.* labels, the pod's annotations, a log folder per pod,
    # the pod's cgroup parent, and namespace options (network POD or NODE, pid CONTAINER).
    def sandbox_config(self, name, namespace, uid, labels=None, annotations=None, host_network=False,
                       privileged=False):
        log_dir = os.path.join(self.logs, f"{namespace}_{name}_{uid}")
        os.makedirs(log_dir, exist_ok=True)
        all_labels = dict(labels or {})
        all_labels.update({"io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": namespace,
                           "io.kubernetes.pod.uid": uid})
        all_annotations = dict(annotations or {})
        all_annotations.update({"kubernetes.io/config.source": "api",
                                "kubernetes.io/config.seen": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        mode = pb.NODE if host_network else pb.POD
        return pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace=namespace, attempt=0),
            hostname="" if host_network else name,
            log_directory=log_dir,
            dns_config=pb.DNSConfig(servers=[], searches=[f"{namespace}.svc.cluster.local"], options=["ndots:5"]),
            labels=all_labels,
            annotations=all_annotations,
            linux=pb.LinuxPodSandboxConfig(
                cgroup_parent=f"{self.cgroup_parent}/pod{uid}",
                security_context=pb.LinuxSandboxSecurityContext(
                    namespace_options=pb.NamespaceOption(network=mode, pid=pb.CONTAINER, ipc=pb.POD),
                    privileged=privileged)))

    def run_sandbox(self, config, handler=""):
        start = time.perf_counter()
        reply = call(self.runtime, "RunPodSandbox", pb.RunPodSandboxRequest(config=config, runtime_handler=handler))
        return reply.pod_sandbox_id, (time.perf_counter() - start) * 1000

    def sandbox_status(self, sandbox_id):
        reply = call(self.runtime, "PodSandboxStatus", pb.PodSandboxStatusRequest(pod_sandbox_id=sandbox_id, verbose=True))
        info = json.loads(reply.info.get("info", "{}"))
        netns = ""
        for ns in info.get("runtimeSpec", {}).get("linux", {}).get("namespaces", []):
            if ns.get("type") == "network":
                netns = ns.get("path", "")
        return {"id": reply.status.id, "ip": reply.status.network.ip, "state": reply.status.state,
                "pid": info.get("pid", 0), "netns": netns}

    def remove_sandbox(self, sandbox_id):
        start = time.perf_counter()
        call(self.runtime, "StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=sandbox_id))
        call(self.runtime, "RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=sandbox_id))
        return (time.perf_counter() - start) * 1000


def percentile(samples, p):
    """Nearest rank: of 50 samples, p99 is the slowest."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def pairs(items):
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise Failure(f"expected KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def pod_up(rt, cluster, name, namespace, labels, annotations, handler=""):
    """What happens to one pod: the API server has it (Pending), the kubelet runs its
    sandbox through the CRI (containerd runs the CNI chain), then reports its IP."""
    uid = str(uuid.uuid4())
    cluster.pod(name, namespace, uid, labels, annotations)
    config = rt.sandbox_config(name, namespace, uid, labels, annotations)
    sandbox_id, run_ms = rt.run_sandbox(config, handler)
    status = rt.sandbox_status(sandbox_id)
    if status["state"] != pb.SANDBOX_READY or not status["ip"]:
        raise Failure(f"sandbox {namespace}/{name} ({sandbox_id}) is not ready with an IP: {status}")
    cluster.pod(name, namespace, uid, labels, annotations, ip=status["ip"])
    return dict(status, uid=uid, name=name, namespace=namespace, run_ms=round(run_ms, 2))


def pod_down(rt, cluster, sandbox_id, name, namespace):
    ms = rt.remove_sandbox(sandbox_id)
    cluster.delete_pod(name, namespace)
    return ms


def cmd_wait_ready(rt, args):
    deadline = time.monotonic() + args.timeout
    last = None
    while time.monotonic() < deadline:
        try:
            reply = rt.runtime.Status(pb.StatusRequest(verbose=False), timeout=5)
            last = {c.type: (c.status, c.reason, c.message) for c in reply.status.conditions}
            if all(last.get(t, (False,))[0] for t in ("RuntimeReady", "NetworkReady")):
                version = call(rt.runtime, "Version", pb.VersionRequest(version="v1"))
                return {"ready": True, "runtime": version.runtime_name, "version": version.runtime_version,
                        "api": version.runtime_api_version}
        except grpc.RpcError as e:
            last = f"{e.code().name}: {e.details()}"
        time.sleep(0.2)
    raise Failure(f"containerd's CRI not ready after {args.timeout} s: {last}")


def cmd_cni_plugins(rt, args):
    reply = call(rt.runtime, "Status", pb.StatusRequest(verbose=True))
    config = json.loads(reply.info.get("cniconfig", "{}"))
    types = []
    for network in config.get("Networks") or []:
        source = json.loads(network.get("Config", {}).get("Source", "{}") or "{}")
        types.append([p.get("type") for p in source.get("plugins", [])])
    return {"networks": types, "last_load": reply.info.get("lastCNILoadStatus", "")}


def cmd_pod_up(rt, cluster, args):
    return pod_up(rt, cluster, args.name, args.namespace, pairs(args.label), pairs(args.annotation))


def cmd_pod_down(rt, cluster, args):
    return {"removed": args.id, "ms": round(pod_down(rt, cluster, args.id, args.name, args.namespace), 2)}


def stats(run_ms, remove_ms):
    return {"run_ms": run_ms, "run_p50": round(percentile(run_ms, 50), 1), "run_p99": round(percentile(run_ms, 99), 1),
            "run_mean": round(statistics.mean(run_ms), 1),
            "remove_p50": round(percentile(remove_ms, 50), 1), "remove_p99": round(percentile(remove_ms, 99), 1)}


def cmd_cycle(rt, cluster, args):
    """`count` pods created and removed one after the other, RunPodSandbox timed for each.
    With --compare HANDLER, each turn also runs a pod with that runtime handler (whose CNI
    configuration folder differs), alternating which goes first, so both series see the
    same machine load."""
    handlers = [""] + ([args.compare] if args.compare else [])
    times = {h: ([], []) for h in handlers}
    # The first sandboxes after a change of the CNI configuration warm caches (binaries,
    # the image's snapshot): `warmup` more turns are made first and not counted.
    for i in range(args.warmup + args.count):
        for handler in (handlers if i % 2 == 0 else handlers[::-1]):
            name = f"{handler or args.prefix}-{i}"
            pod = pod_up(rt, cluster, name, args.namespace, {"app": handler or args.prefix}, {}, handler)
            ms = pod_down(rt, cluster, pod["id"], name, args.namespace)
            if i >= args.warmup:
                times[handler][0].append(pod["run_ms"])
                times[handler][1].append(ms)
    result = {"count": args.count, "warmup": args.warmup}
    for handler, (run_ms, remove_ms) in times.items():
        result[handler or "default"] = stats(run_ms, remove_ms)
    return result


def cmd_daemon(rt, cluster, args):
    """A DaemonSet's pod: host network, its container with the chart's securityContext and
    host paths, started as the kubelet starts it (RunPodSandbox, CreateContainer, StartContainer)."""
    with open(args.spec) as f:
        spec = json.load(f)
    uid = str(uuid.uuid4())
    name, namespace = spec["name"], spec["namespace"]
    labels, annotations = spec.get("labels", {}), spec.get("annotations", {})
    cluster.pod(name, namespace, uid, labels, annotations, ip="10.200.0.1", host_network=True)
    config = rt.sandbox_config(name, namespace, uid, labels, annotations, host_network=True,
                               privileged=spec.get("privileged", False))
    sandbox_id, _ = rt.run_sandbox(config)
    security = pb.LinuxContainerSecurityContext(
        privileged=spec.get("privileged", False),
        capabilities=pb.Capability(add_capabilities=spec.get("capabilities", {}).get("add", []),
                                   drop_capabilities=spec.get("capabilities", {}).get("drop", [])),
        namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER, ipc=pb.POD),
        readonly_rootfs=spec.get("readOnlyRootFilesystem", False),
        no_new_privs=not spec.get("allowPrivilegeEscalation", True))
    if "runAsUser" in spec:
        security.run_as_user.value = spec["runAsUser"]
    if "runAsGroup" in spec:
        security.run_as_group.value = spec["runAsGroup"]
    propagation = {"private": pb.PROPAGATION_PRIVATE, "host-to-container": pb.PROPAGATION_HOST_TO_CONTAINER}
    container = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=spec["container"], attempt=0),
        image=pb.ImageSpec(image=spec["image"]),
        command=spec.get("command", []), args=spec.get("args", []),
        envs=[pb.KeyValue(key=k, value=v) for k, v in spec.get("env", {}).items()],
        mounts=[pb.Mount(container_path=m["container"], host_path=m["host"], readonly=m.get("readonly", False),
                         propagation=propagation[m.get("propagation", "private")]) for m in spec.get("mounts", [])],
        labels={"io.kubernetes.container.name": spec["container"], "io.kubernetes.pod.name": name,
                "io.kubernetes.pod.namespace": namespace, "io.kubernetes.pod.uid": uid},
        log_path=f"{spec['container']}/0.log",
        linux=pb.LinuxContainerConfig(security_context=security))
    created = call(rt.runtime, "CreateContainer",
                   pb.CreateContainerRequest(pod_sandbox_id=sandbox_id, config=container, sandbox_config=config))
    call(rt.runtime, "StartContainer", pb.StartContainerRequest(container_id=created.container_id))
    return {"sandbox": sandbox_id, "container": created.container_id, "uid": uid,
            "log": os.path.join(config.log_directory, container.log_path)}


def cmd_container_state(rt, args):
    reply = call(rt.runtime, "ContainerStatus", pb.ContainerStatusRequest(container_id=args.id))
    s = reply.status
    return {"state": pb.ContainerState.Name(s.state), "exit_code": s.exit_code, "reason": s.reason,
            "message": s.message}


def cmd_exec(rt, args):
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    reply = call(rt.runtime, "ExecSync", pb.ExecSyncRequest(container_id=args.id, cmd=cmd, timeout=args.timeout))
    return {"exit_code": reply.exit_code, "stdout": reply.stdout.decode(errors="replace"),
            "stderr": reply.stderr.decode(errors="replace")}


def cmd_image(rt, args):
    reply = call(rt.images, "ImageStatus", pb.ImageStatusRequest(image=pb.ImageSpec(image=args.image)))
    if not reply.image.id:
        raise Failure(f"containerd does not have image {args.image} (ImageStatus answered no image)")
    return {"id": reply.image.id, "tags": list(reply.image.repo_tags), "size": reply.image.size}


def cmd_cleanup(rt, args):
    """Everything this containerd runs, removed as the kubelet removes it. Errors are
    collected, not fatal: the caller's cleanup goes on to kill what is left."""
    done, errors = [], []
    try:
        containers = call(rt.runtime, "ListContainers", pb.ListContainersRequest(), timeout=20).containers
    except Failure as e:
        containers, errors = [], [str(e)]
    for c in containers:
        try:
            call(rt.runtime, "StopContainer", pb.StopContainerRequest(container_id=c.id, timeout=2), timeout=30)
            call(rt.runtime, "RemoveContainer", pb.RemoveContainerRequest(container_id=c.id), timeout=30)
            done.append("container " + c.metadata.name)
        except Failure as e:
            errors.append(str(e))
    try:
        sandboxes = call(rt.runtime, "ListPodSandbox", pb.ListPodSandboxRequest(), timeout=20).items
    except Failure as e:
        sandboxes = []
        errors.append(str(e))
    for s in sandboxes:
        try:
            rt.remove_sandbox(s.id)
            done.append(f"sandbox {s.metadata.namespace}/{s.metadata.name}")
        except Failure as e:
            errors.append(str(e))
    return {"removed": done, "errors": errors}


def main():
    global pb, rpc
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--socket", required=True, help="containerd's gRPC socket")
    ap.add_argument("--gen", required=True, help="folder with runtime_pb2.py and runtime_pb2_grpc.py")
    ap.add_argument("--control", default="", help="the API test server's control URL")
    ap.add_argument("--node", default="node", help="the node's name (spec.nodeName of the pods)")
    ap.add_argument("--cgroup-parent", default="/rampart-e2e", help="cgroup parent of every sandbox")
    ap.add_argument("--logs", default="/tmp/rampart-e2e-pods", help="pod log folders (kubelet's /var/log/pods)")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("wait-ready")
    p.add_argument("--timeout", type=float, default=30)
    sub.add_parser("cni-plugins")
    p = sub.add_parser("pod-up")
    p.add_argument("--name", required=True)
    p.add_argument("--namespace", required=True)
    p.add_argument("--label", action="append")
    p.add_argument("--annotation", action="append")
    p = sub.add_parser("pod-down")
    p.add_argument("id")
    p.add_argument("--name", required=True)
    p.add_argument("--namespace", required=True)
    p = sub.add_parser("cycle")
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--namespace", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--compare", default="", help="also a pod with this runtime handler each turn")
    p = sub.add_parser("daemon")
    p.add_argument("--spec", required=True)
    p = sub.add_parser("container-state")
    p.add_argument("id")
    p = sub.add_parser("exec")
    p.add_argument("id")
    p.add_argument("--timeout", type=int, default=10)
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p = sub.add_parser("image")
    p.add_argument("image")
    sub.add_parser("cleanup")
    args = ap.parse_args()

    sys.path.insert(0, args.gen)
    import runtime_pb2
    import runtime_pb2_grpc
    pb, rpc = runtime_pb2, runtime_pb2_grpc

    rt = Runtime(args.socket, args.cgroup_parent, args.logs)
    cluster = Cluster(args.control, args.node)
    handlers = {
        "wait-ready": lambda: cmd_wait_ready(rt, args),
        "cni-plugins": lambda: cmd_cni_plugins(rt, args),
        "pod-up": lambda: cmd_pod_up(rt, cluster, args),
        "pod-down": lambda: cmd_pod_down(rt, cluster, args),
        "cycle": lambda: cmd_cycle(rt, cluster, args),
        "daemon": lambda: cmd_daemon(rt, cluster, args),
        "container-state": lambda: cmd_container_state(rt, args),
        "exec": lambda: cmd_exec(rt, args),
        "image": lambda: cmd_image(rt, args),
        "cleanup": lambda: cmd_cleanup(rt, args),
    }
    try:
        result = handlers[args.command]()
    except Failure as e:
        print(f"cri_driver {args.command}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    if args.command == "exec":
        return 0 if result["exit_code"] == 0 else 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
