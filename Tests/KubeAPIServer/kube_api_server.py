#!/usr/bin/env python3
"""A local Kubernetes API test server for Rampart's list/watch client tests.

It speaks the real wire protocol (HTTPS, Status bodies, chunked lists with
continue tokens, chunked watch streams with bookmarks and 410 Expired) for a
fixed set of read-only resources, and exposes a plain-HTTP control API on a
second port to write objects, inject faults and run pod churn.

Python 3.11 standard library only. See README.md next to this file.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import collections
import copy
import json
import os
import queue
import random
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import admission  # noqa: E402  (beside this file: validating admission webhooks)

# --------------------------------------------------------------------------
# Resource table
# --------------------------------------------------------------------------


class Resource:
    def __init__(self, plural, kind, group, version, namespaced, short=()):
        self.plural = plural
        self.kind = kind
        self.group = group
        self.version = version
        self.namespaced = namespaced
        self.short = list(short)

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self):
        return self.kind + "List"


RESOURCES = {
    r.plural: r
    for r in [
        Resource("pods", "Pod", "", "v1", True, ["po"]),
        Resource("namespaces", "Namespace", "", "v1", False, ["ns"]),
        Resource("services", "Service", "", "v1", True, ["svc"]),
        Resource("nodes", "Node", "", "v1", False, ["no"]),
        Resource("endpointslices", "EndpointSlice", "discovery.k8s.io", "v1", True),
        Resource("replicasets", "ReplicaSet", "apps", "v1", True, ["rs"]),
        Resource("deployments", "Deployment", "apps", "v1", True, ["deploy"]),
        Resource("statefulsets", "StatefulSet", "apps", "v1", True, ["sts"]),
        Resource("daemonsets", "DaemonSet", "apps", "v1", True, ["ds"]),
        Resource("jobs", "Job", "batch", "v1", True),
        Resource("cronjobs", "CronJob", "batch", "v1", True, ["cj"]),
        Resource("validatingwebhookconfigurations", "ValidatingWebhookConfiguration", "admissionregistration.k8s.io", "v1", False),
        Resource("serviceaccounts", "ServiceAccount", "", "v1", True, ["sa"]),
        Resource("secrets", "Secret", "", "v1", True),
    ]
}
KIND_TO_RESOURCE = {r.kind: r for r in RESOURCES.values()}
GROUP_VERSIONS = sorted({(r.group, r.version) for r in RESOURCES.values()})

# --------------------------------------------------------------------------
# Status bodies (shape of metav1.Status as the real server sends it)
# --------------------------------------------------------------------------

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}

CONTINUE_EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter."
)


def status_body(code, message, reason=None, details=None):
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason or REASONS.get(code, "Unknown"),
    }
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


# --------------------------------------------------------------------------
# Selectors
# --------------------------------------------------------------------------


class SelectorError(ValueError):
    pass


def _split_top_level(text):
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def parse_label_selector(text):
    """Returns a predicate over a labels dict. Supports =, ==, !=, in, notin, exists, !exists."""
    if not text:
        return None
    reqs = []
    for term in _split_top_level(text):
        low = term
        if " in " in low or " notin " in low or low.endswith(")"):
            neg = " notin " in low
            key, _, rest = low.partition(" notin " if neg else " in ")
            rest = rest.strip()
            if not (rest.startswith("(") and rest.endswith(")")) or not key.strip():
                raise SelectorError(f"unable to parse requirement: {term}")
            values = {v.strip() for v in rest[1:-1].split(",") if v.strip()}
            reqs.append(("notin" if neg else "in", key.strip(), values))
        elif "!=" in term:
            k, v = term.split("!=", 1)
            reqs.append(("!=", k.strip(), v.strip()))
        elif "==" in term:
            k, v = term.split("==", 1)
            reqs.append(("=", k.strip(), v.strip()))
        elif "=" in term:
            k, v = term.split("=", 1)
            reqs.append(("=", k.strip(), v.strip()))
        elif term.startswith("!"):
            reqs.append(("!exists", term[1:].strip(), None))
        else:
            reqs.append(("exists", term, None))
    for op, key, _ in reqs:
        if not key or " " in key:
            raise SelectorError(f"unable to parse requirement: invalid label key {key!r}")

    def match(labels):
        labels = labels or {}
        for op, key, val in reqs:
            have = key in labels
            if op == "=" and labels.get(key) != val:
                return False
            if op == "!=" and have and labels[key] == val:
                return False
            if op == "in" and (not have or labels[key] not in val):
                return False
            if op == "notin" and have and labels[key] in val:
                return False
            if op == "exists" and not have:
                return False
            if op == "!exists" and have:
                return False
        return True

    return match


FIELD_GETTERS = {
    "metadata.name": lambda o: o.get("metadata", {}).get("name", ""),
    "metadata.namespace": lambda o: o.get("metadata", {}).get("namespace", ""),
}
POD_FIELD_GETTERS = {
    "spec.nodeName": lambda o: o.get("spec", {}).get("nodeName", ""),
    "status.phase": lambda o: o.get("status", {}).get("phase", ""),
    "status.podIP": lambda o: o.get("status", {}).get("podIP", ""),
    "spec.serviceAccountName": lambda o: o.get("spec", {}).get("serviceAccountName", ""),
    "spec.restartPolicy": lambda o: o.get("spec", {}).get("restartPolicy", ""),
    "spec.schedulerName": lambda o: o.get("spec", {}).get("schedulerName", ""),
}


def parse_field_selector(text, resource):
    if not text:
        return None
    getters = dict(FIELD_GETTERS)
    if resource.plural == "pods":
        getters.update(POD_FIELD_GETTERS)
    if resource.plural == "namespaces":
        getters["status.phase"] = lambda o: o.get("status", {}).get("phase", "")
    reqs = []
    for term in _split_top_level(text):
        if "!=" in term:
            k, v, neg = *term.split("!=", 1), True
        elif "==" in term:
            k, v, neg = *term.split("==", 1), False
        elif "=" in term:
            k, v, neg = *term.split("=", 1), False
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        k = k.strip()
        if k not in getters:
            raise SelectorError(f'field label not supported: {k}')
        reqs.append((getters[k], v.strip(), neg))

    def match(obj):
        for get, v, neg in reqs:
            if (get(obj) == v) == neg:
                return False
        return True

    return match


def make_filter(resource, namespace, label_sel, field_sel):
    lmatch = parse_label_selector(label_sel)
    fmatch = parse_field_selector(field_sel, resource)

    def match(obj):
        md = obj.get("metadata", {})
        if namespace is not None and md.get("namespace") != namespace:
            return False
        if lmatch and not lmatch(md.get("labels")):
            return False
        if fmatch and not fmatch(obj):
            return False
        return True

    return match


# --------------------------------------------------------------------------
# Store: objects + single global resourceVersion + bounded event history
# --------------------------------------------------------------------------


# The real API server's cacher sends its watchers a bookmark roughly once a minute
# (bookmarkFrequency) and 2 s before their deadline, only for resources it saw an event of.
REAL_BOOKMARK_FREQUENCY = 60.0


class Expired(Exception):
    def __init__(self, requested, floor):
        super().__init__(requested, floor)
        self.requested = requested
        self.floor = floor


class Event:
    __slots__ = ("rv", "resource", "type", "obj", "prev", "_chunk")

    def __init__(self, rv, resource, type_, obj, prev):
        self.rv, self.resource, self.type, self.obj, self.prev = rv, resource, type_, obj, prev
        self._chunk = None

    def chunk(self):
        """The event as one HTTP chunk; encoded once and shared by every watcher (objects are immutable)."""
        c = self._chunk
        if c is None:
            payload = ('{"type":"%s","object":%s}\n' % (self.type, dumps(self.obj))).encode()
            c = self._chunk = b"%x\r\n%s\r\n" % (len(payload), payload)
        return c


class Watcher:
    _ids = iter(range(1, 1 << 62))

    def __init__(self, resource, match):
        self.id = next(Watcher._ids)
        self.resource = resource
        self.match = match
        self.queue = queue.Queue()
        self.broken = False
        self.last_rv = 0


BREAK = object()
STOP = object()


class Store:
    """All objects, keyed by resource then "namespace/name" (etcd key order)."""

    def __init__(self, history=10000, start_rv=1):
        self.lock = threading.RLock()
        self.rv = start_rv
        self.objects = {name: {} for name in RESOURCES}
        self.history = collections.deque()
        self.history_max = max(1, history)
        self.floor = start_rv  # every RV >= floor can still be watched / listed from
        self.watchers = {}
        self.events_total = 0
        # Resources that changed since the server started serving (fixtures and --demo are
        # loaded before): like the real watch cache, which sends no bookmark at all for a
        # resource it has seen no event of (its last processed resourceVersion is 0).
        self.serving = False
        self.changed = set()

    @staticmethod
    def key(ns, name):
        return f"{ns or ''}/{name}"

    def _record(self, resource, type_, obj, prev):
        ev = Event(self.rv, resource.plural, type_, obj, prev)
        if len(self.history) >= self.history_max:
            dropped = self.history.popleft()
            self.floor = max(self.floor, dropped.rv)
        self.history.append(ev)
        self.events_total += 1
        if self.serving:
            self.changed.add(resource.plural)
        for w in self.watchers.values():
            if w.resource is resource:
                w.queue.put(ev)

    def put(self, obj):
        """Creates or replaces an object (with kind/apiVersion); returns (type, stored)."""
        if not isinstance(obj, dict):
            raise ValueError("object must be a JSON object")
        kind = obj.get("kind")
        resource = KIND_TO_RESOURCE.get(kind)
        if resource is None:
            raise ValueError(f"unsupported kind {kind!r}")
        obj = copy.deepcopy(obj)
        obj["apiVersion"] = resource.api_version
        md = obj.setdefault("metadata", {})
        name = md.get("name")
        if not name:
            raise ValueError("metadata.name is required")
        if resource.namespaced:
            md["namespace"] = md.get("namespace") or "default"
        else:
            md.pop("namespace", None)
        if resource.plural == "namespaces":
            md.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj.setdefault("status", {"phase": "Active"})
        k = self.key(md.get("namespace"), name)
        with self.lock:
            table = self.objects[resource.plural]
            prev = table.get(k)
            self.rv += 1
            if prev is None:
                md["uid"] = md.get("uid") or str(uuid.uuid4())
                md["creationTimestamp"] = md.get("creationTimestamp") or now_rfc3339()
                md["generation"] = md.get("generation") or 1
                type_ = "ADDED"
            else:
                pmd = prev["metadata"]
                md["uid"] = pmd["uid"]
                md["creationTimestamp"] = pmd["creationTimestamp"]
                gen = pmd.get("generation", 1)
                if obj.get("spec") != prev.get("spec"):
                    gen += 1
                md["generation"] = gen
                type_ = "MODIFIED"
            md["resourceVersion"] = str(self.rv)
            table[k] = obj
            self._record(resource, type_, obj, prev)
            return type_, obj

    def delete(self, plural, ns, name):
        resource = RESOURCES.get(plural)
        if resource is None:
            raise KeyError(plural)
        k = self.key(ns if resource.namespaced else "", name)
        with self.lock:
            prev = self.objects[plural].pop(k, None)
            if prev is None:
                return None
            self.rv += 1
            gone = dict(prev)
            gone["metadata"] = dict(prev["metadata"], resourceVersion=str(self.rv))
            self._record(resource, "DELETED", gone, prev)
            return gone

    def get(self, plural, ns, name):
        with self.lock:
            return self.objects[plural].get(self.key(ns, name))

    def compact(self):
        with self.lock:
            self.history.clear()
            self.floor = self.rv

    def snapshot(self, resource, at_rv):
        """Objects of `resource` as they were at `at_rv` (MVCC view from history)."""
        with self.lock:
            if at_rv < self.floor:
                raise Expired(at_rv, self.floor)
            current = self.objects[resource.plural]
            if at_rv >= self.rv:
                return dict(current)
            view = None
            for ev in reversed(self.history):
                if ev.rv <= at_rv:
                    break
                if ev.resource != resource.plural:
                    continue
                if view is None:
                    view = dict(current)
                md = ev.obj["metadata"]
                k = self.key(md.get("namespace"), md["name"])
                if ev.prev is None:
                    view.pop(k, None)
                else:
                    view[k] = ev.prev
            return view if view is not None else dict(current)

    def start_watch(self, resource, match, from_rv, initial):
        """Registers a watcher; returns (watcher, events to send first). Raises Expired."""
        with self.lock:
            w = Watcher(resource, match)
            first = []
            if initial:
                for k in sorted(self.objects[resource.plural]):
                    o = self.objects[resource.plural][k]
                    first.append(Event(int(o["metadata"]["resourceVersion"]), resource.plural, "ADDED", o, None))
                w.last_rv = self.rv
            else:
                if from_rv < self.floor:
                    raise Expired(from_rv, self.floor)
                for ev in self.history:
                    if ev.rv > from_rv and ev.resource == resource.plural:
                        first.append(ev)
                w.last_rv = from_rv
            self.watchers[w.id] = w
            return w, first

    def stop_watch(self, w):
        with self.lock:
            self.watchers.pop(w.id, None)

    def bookmark_rv(self, w):
        with self.lock:
            return self.rv if w.queue.empty() else w.last_rv

    def state(self):
        with self.lock:
            return {
                "resourceVersion": str(self.rv),
                "counts": {p: len(t) for p, t in self.objects.items()},
                "watches": len(self.watchers),
                "history": {"size": len(self.history), "max": self.history_max, "oldestResourceVersion": str(self.floor)},
                "eventsTotal": self.events_total,
            }


# --------------------------------------------------------------------------
# Object builders (shapes follow the Kubernetes API reference)
# --------------------------------------------------------------------------


def owner_ref(kind, name, uid, api_version="apps/v1", controller=True):
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def _ready_conditions(ready, ts):
    s = "True" if ready else "False"
    return [
        {"type": "PodReadyToStartContainers", "status": s, "lastProbeTime": None, "lastTransitionTime": ts},
        {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": ts},
        {"type": "Ready", "status": s, "lastProbeTime": None, "lastTransitionTime": ts},
        {"type": "ContainersReady", "status": s, "lastProbeTime": None, "lastTransitionTime": ts},
        {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": ts},
    ]


def make_pod(name, namespace="default", node="node-1", ip=None, host_ip="10.0.0.1", labels=None,
             annotations=None, owner=None, phase=None, service_account="default", containers=None,
             ipv6=None, image="registry.k8s.io/pause:3.10", port=8080, host_network=False):
    """A Pod as the API returns it. `ip` None means Pending without a pod IP yet; with
    `host_network` the pod uses the node's network (its IP is the node's), as DaemonSets
    like the node agent do."""
    ts = now_rfc3339()
    labels = dict(labels or {"app": name.rsplit("-", 2)[0]})
    containers = containers or [{
        "name": "app",
        "image": image,
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }]
    phase = phase or ("Running" if ip else "Pending")
    md = {"name": name, "namespace": namespace, "labels": labels,
          "annotations": dict(annotations or {"kubectl.kubernetes.io/default-container": containers[0]["name"]})}
    if owner:
        md["ownerReferences"] = [owner]
        md["generateName"] = name.rsplit("-", 1)[0] + "-"
    status = {"phase": phase, "qosClass": "BestEffort", "conditions": _ready_conditions(phase == "Running" and bool(ip), ts)}
    if node:
        status["hostIP"] = host_ip
        status["hostIPs"] = [{"ip": host_ip}]
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}] + ([{"ip": ipv6}] if ipv6 else [])
        status["startTime"] = ts
        status["containerStatuses"] = [{
            "name": c["name"], "ready": True, "restartCount": 0, "image": c["image"],
            "imageID": c["image"] + "@sha256:" + "0" * 64, "containerID": "containerd://" + uuid.uuid4().hex * 2,
            "started": True, "state": {"running": {"startedAt": ts}},
        } for c in containers]
    pod = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": md,
        "spec": {
            "containers": containers,
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": service_account,
            "serviceAccount": service_account,
            "nodeName": node,
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            ],
            "priority": 0,
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
        },
        "status": status,
    }
    if host_network:
        pod["spec"]["hostNetwork"] = True
        pod["spec"]["dnsPolicy"] = "ClusterFirstWithHostNet"
    return pod


def make_namespace(name, labels=None, annotations=None):
    lab = dict(labels or {})
    lab["kubernetes.io/metadata.name"] = name
    return {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": name, "labels": lab, "annotations": dict(annotations or {"rampart.dev/team": "test"})},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def make_service(name, namespace="default", cluster_ip="10.96.0.10", selector=None, ports=None, labels=None):
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {"app": name})},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "selector": dict(selector or {"app": name}),
            "ports": ports or [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}],
            "sessionAffinity": "None",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
        },
        "status": {"loadBalancer": {}},
    }


def make_endpointslice(service, pods, name=None, port=8080):
    """EndpointSlice for `service` (a Service dict) over `pods` (Pod dicts)."""
    smd = service["metadata"]
    ns = smd["namespace"]
    eps = []
    for p in pods:
        st, pmd = p.get("status", {}), p["metadata"]
        if not st.get("podIP"):
            continue
        ready = st.get("phase") == "Running"
        eps.append({
            "addresses": [st["podIP"]],
            "conditions": {"ready": ready, "serving": ready, "terminating": False},
            "nodeName": p["spec"].get("nodeName"),
            "targetRef": {"kind": "Pod", "name": pmd["name"], "namespace": pmd.get("namespace", ns), "uid": pmd.get("uid", "")},
        })
    return {
        "kind": "EndpointSlice",
        "apiVersion": "discovery.k8s.io/v1",
        "metadata": {
            "name": name or f"{smd['name']}-{uuid.uuid4().hex[:5]}",
            "namespace": ns,
            "generateName": smd["name"] + "-",
            "labels": {"kubernetes.io/service-name": smd["name"],
                       "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
            "ownerReferences": [owner_ref("Service", smd["name"], smd.get("uid", ""), "v1")],
        },
        "addressType": "IPv4",
        "endpoints": eps,
        "ports": [{"name": "http", "protocol": "TCP", "port": port}],
    }


def make_node(name, internal_ip, pod_cidr=None, labels=None):
    lab = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
           "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64"}
    lab.update(labels or {})
    ts = now_rfc3339()
    spec = {}
    if pod_cidr:
        spec = {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]}
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {"name": name, "labels": lab,
                     "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                     "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": spec,
        "status": {
            "addresses": [{"type": "InternalIP", "address": internal_ip}, {"type": "Hostname", "address": name}],
            "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": ts, "lastTransitionTime": ts,
                            "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
            "nodeInfo": {"kubeletVersion": "v1.31.0", "containerRuntimeVersion": "containerd://1.7.22",
                         "operatingSystem": "linux", "architecture": "amd64", "osImage": "Debian GNU/Linux 12 (bookworm)",
                         "kernelVersion": "6.1.0-26-amd64", "kubeProxyVersion": "", "machineID": uuid.uuid4().hex,
                         "systemUUID": str(uuid.uuid4()), "bootID": str(uuid.uuid4())},
            "capacity": {"cpu": "2", "memory": "4025684Ki", "pods": "110"},
            "allocatable": {"cpu": "2", "memory": "3923284Ki", "pods": "110"},
        },
    }


def _pod_template(labels, image="registry.k8s.io/pause:3.10"):
    return {"metadata": {"labels": dict(labels)},
            "spec": {"containers": [{"name": "app", "image": image,
                                     "ports": [{"containerPort": 8080, "protocol": "TCP"}]}],
                     "restartPolicy": "Always"}}


def make_deployment(name, namespace="default", replicas=2, labels=None, uid=None):
    lab = dict(labels or {"app": name})
    return {
        "kind": "Deployment", "apiVersion": "apps/v1",
        "metadata": {"name": name, "namespace": namespace, "labels": lab, "uid": uid or str(uuid.uuid4()),
                     "annotations": {"deployment.kubernetes.io/revision": "1"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": lab}, "template": _pod_template(lab),
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}},
        "status": {"observedGeneration": 1, "replicas": replicas, "readyReplicas": replicas,
                   "availableReplicas": replicas, "updatedReplicas": replicas},
    }


def make_replicaset(deployment, pod_template_hash="5d4f8c7b9d", uid=None):
    """ReplicaSet owned (controller: true) by `deployment`."""
    dmd = deployment["metadata"]
    lab = dict(deployment["spec"]["selector"]["matchLabels"], **{"pod-template-hash": pod_template_hash})
    replicas = deployment["spec"]["replicas"]
    return {
        "kind": "ReplicaSet", "apiVersion": "apps/v1",
        "metadata": {"name": f"{dmd['name']}-{pod_template_hash}", "namespace": dmd["namespace"], "labels": lab,
                     "uid": uid or str(uuid.uuid4()),
                     "ownerReferences": [owner_ref("Deployment", dmd["name"], dmd.get("uid", ""))]},
        "spec": {"replicas": replicas, "selector": {"matchLabels": lab}, "template": _pod_template(lab)},
        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                   "fullyLabeledReplicas": replicas, "observedGeneration": 1},
    }


def make_statefulset(name, namespace="default", replicas=3, service_name=None, uid=None):
    lab = {"app": name}
    return {
        "kind": "StatefulSet", "apiVersion": "apps/v1",
        "metadata": {"name": name, "namespace": namespace, "labels": lab, "uid": uid or str(uuid.uuid4())},
        "spec": {"replicas": replicas, "serviceName": service_name or name, "selector": {"matchLabels": lab},
                 "template": _pod_template(lab), "podManagementPolicy": "OrderedReady",
                 "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}},
        "status": {"replicas": replicas, "readyReplicas": replicas, "currentReplicas": replicas,
                   "updatedReplicas": replicas, "observedGeneration": 1},
    }


def make_daemonset(name, namespace="kube-system", nodes=3, uid=None):
    lab = {"app": name}
    return {
        "kind": "DaemonSet", "apiVersion": "apps/v1",
        "metadata": {"name": name, "namespace": namespace, "labels": lab, "uid": uid or str(uuid.uuid4())},
        "spec": {"selector": {"matchLabels": lab}, "template": _pod_template(lab),
                 "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}},
        "status": {"currentNumberScheduled": nodes, "desiredNumberScheduled": nodes, "numberReady": nodes,
                   "numberAvailable": nodes, "updatedNumberScheduled": nodes, "numberMisscheduled": 0,
                   "observedGeneration": 1},
    }


def make_job(name, namespace="default", completions=1, uid=None):
    lab = {"job-name": name, "batch.kubernetes.io/job-name": name}
    tpl = _pod_template(lab)
    tpl["spec"]["restartPolicy"] = "Never"
    return {
        "kind": "Job", "apiVersion": "batch/v1",
        "metadata": {"name": name, "namespace": namespace, "labels": lab, "uid": uid or str(uuid.uuid4())},
        "spec": {"completions": completions, "parallelism": 1, "backoffLimit": 6, "completionMode": "NonIndexed",
                 "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "x"}}, "template": tpl},
        "status": {"active": 1, "startTime": now_rfc3339(), "ready": 1, "terminating": 0},
    }


def demo_objects():
    """A small, coherent cluster: 2 nodes, namespaces, a Deployment→ReplicaSet→Pods, Service, slice."""
    objs = [make_namespace(n) for n in ("default", "kube-system", "web")]
    objs += [make_node("node-1", "10.0.0.1", "10.244.1.0/24", {"node-role.kubernetes.io/control-plane": ""}),
             make_node("node-2", "10.0.0.2", "10.244.2.0/24")]
    dep = make_deployment("frontend", "web", replicas=2)
    rs = make_replicaset(dep)
    owner = owner_ref("ReplicaSet", rs["metadata"]["name"], rs["metadata"]["uid"])
    pods = [make_pod(f"frontend-5d4f8c7b9d-{s}", "web", node=f"node-{i + 1}", ip=f"10.244.{i + 1}.10",
                     host_ip=f"10.0.0.{i + 1}", labels=rs["metadata"]["labels"], owner=owner,
                     service_account="frontend")
            for i, s in enumerate(("abcde", "fghij"))]
    for p in pods:
        p["metadata"]["uid"] = str(uuid.uuid4())
    svc = make_service("frontend", "web", "10.96.10.1", selector=dep["spec"]["selector"]["matchLabels"])
    svc["metadata"]["uid"] = str(uuid.uuid4())
    objs += [dep, rs] + pods + [svc, make_endpointslice(svc, pods),
                                make_statefulset("db", "web"), make_daemonset("rampart-node"), make_job("migrate", "web")]
    return objs


# --------------------------------------------------------------------------
# Faults and request log
# --------------------------------------------------------------------------


class Faults:
    def __init__(self, token):
        self.lock = threading.Lock()
        self.tokens = {token} if token else set()
        self.stall_until = 0.0
        self.fail_count = 0
        self.fail_status = 500
        self.delay_ms = 0

    def stalled(self):
        return time.monotonic() < self.stall_until

    def take_failure(self):
        with self.lock:
            if self.fail_count > 0:
                self.fail_count -= 1
                return self.fail_status
            return None


class RequestLog:
    def __init__(self, cap=200000):
        self.lock = threading.Lock()
        self.items = collections.deque(maxlen=cap)

    def add(self, entry):
        with self.lock:
            self.items.append(entry)

    def list(self):
        with self.lock:
            return list(self.items)

    def clear(self):
        with self.lock:
            self.items.clear()


# --------------------------------------------------------------------------
# Churn
# --------------------------------------------------------------------------


class IPPool:
    """10.244.0.0/16 pod IPs; freed addresses are handed out again first (FIFO) so IPs get reused."""

    def __init__(self):
        self.next = 0
        self.free = collections.deque()

    def take(self):
        if self.free:
            return self.free.popleft()
        hi, lo = divmod(self.next, 254)
        if hi > 255:
            raise RuntimeError("pod IP pool exhausted")
        self.next += 1
        return f"10.244.{hi}.{lo + 1}"

    def release(self, ip):
        self.free.append(ip)


class Churn:
    def __init__(self, store):
        self.store = store
        self.lock = threading.Lock()
        self.pool = IPPool()
        self.log = []
        self.running = False
        self.events = 0
        self.counters = collections.Counter()
        self.serial = 0
        self.thread = None
        self.stop_flag = threading.Event()

    def status(self):
        with self.lock:
            return {"running": self.running, "events": self.events, **self.counters}

    def start(self, cfg):
        with self.lock:
            if self.running:
                return False
            self.running = True
            self.events = 0
            self.counters = collections.Counter()
            self.log = []
        self.stop_flag.clear()
        self.thread = threading.Thread(target=self._run, args=(cfg,), daemon=True, name="churn")
        self.thread.start()
        return True

    def _put(self, obj, counter):
        _, stored = self.store.put(obj)
        with self.lock:
            self.events += 1
            self.counters[counter] += 1
        return stored

    def _assign(self, pod, initial):
        ip = self.pool.take()
        md = pod["metadata"]
        new = copy.deepcopy(pod)
        ts = now_rfc3339()
        new["status"].update({"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "startTime": ts,
                              "conditions": _ready_conditions(True, ts)})
        stored = self._put(new, "assignments")
        with self.lock:
            self.log.append({"ip": ip, "pod": f"{md['namespace']}/{md['name']}", "assigned_at": time.time(),
                             "uid": stored["metadata"]["uid"], "initial": initial})
        return stored

    def _new_pod(self, rng, namespaces, nodes, ip=None):
        self.serial += 1
        ns = namespaces[rng.randrange(len(namespaces))]
        node_i = rng.randrange(len(nodes))
        rs_name = f"churn-{self.serial % 50:02d}-6b9f8d7c5d"
        owner = owner_ref("ReplicaSet", rs_name, str(uuid.uuid5(uuid.NAMESPACE_DNS, ns + rs_name)))
        return make_pod(f"{rs_name}-{self.serial:06x}", ns, node=nodes[node_i][0], ip=ip, host_ip=nodes[node_i][1],
                        labels={"app": f"churn-{self.serial % 50:02d}", "pod-template-hash": "6b9f8d7c5d"},
                        owner=owner, service_account="churn")

    def _run(self, cfg):
        try:
            self._churn(cfg)
        except Exception as exc:  # never take the server down
            print(f"churn failed: {exc!r}", file=sys.stderr)
        finally:
            with self.lock:
                self.running = False

    def _churn(self, cfg):
        rng = random.Random(cfg.get("seed", 1))
        n_ns = max(1, int(cfg.get("namespaces", 10)))
        n_nodes = max(1, int(cfg.get("nodes", 3)))
        n_pods = max(0, int(cfg.get("pods", 100)))
        rate = float(cfg.get("rate", 50))
        seconds = float(cfg.get("seconds", 10))
        assign_delay = float(cfg.get("assign_delay", min(0.2, 2.0 / rate if rate > 0 else 0.2)))
        namespaces = [f"churn-{i:04d}" for i in range(n_ns)]
        nodes = [(f"churn-node-{i:03d}", f"10.0.{i // 250}.{i % 250 + 2}") for i in range(n_nodes)]
        for ns in namespaces:
            self._put(make_namespace(ns, {"rampart.dev/churn": "true"}), "namespaces")
        for name, ip in nodes:
            self._put(make_node(name, ip), "nodes")
        running = []  # (ns, name, ip)
        for _ in range(n_pods):
            pod = self._new_pod(rng, namespaces, nodes)
            stored = self._assign(pod, True)
            with self.lock:
                self.counters["creates"] += 1
            running.append((stored["metadata"]["namespace"], stored["metadata"]["name"], stored["status"]["podIP"]))
        pending = collections.deque()  # (due, pod)
        start = time.monotonic()
        end = start + seconds
        interval = 1.0 / rate if rate > 0 else seconds + 1
        next_tick = start
        create_next = True
        while not self.stop_flag.is_set():
            now = time.monotonic()
            while pending and pending[0][0] <= now:
                _, pod = pending.popleft()
                stored = self._assign(pod, False)
                running.append((stored["metadata"]["namespace"], stored["metadata"]["name"], stored["status"]["podIP"]))
            if now >= end:
                if not pending:
                    break
            elif now >= next_tick:
                next_tick += interval
                if create_next or not running:
                    stored = self._put(self._new_pod(rng, namespaces, nodes), "creates")
                    pending.append((now + assign_delay, stored))
                else:
                    ns, name, ip = running.pop(rng.randrange(len(running)))
                    if self.store.delete("pods", ns, name) is not None:
                        with self.lock:
                            self.events += 1
                            self.counters["deletes"] += 1
                    self.pool.release(ip)
                create_next = not create_next
            wake = min([t for t in (next_tick if now < end else None, pending[0][0] if pending else None) if t] or [now + 0.05])
            delay = wake - time.monotonic()
            if delay > 0:
                self.stop_flag.wait(min(delay, 0.05))


# --------------------------------------------------------------------------
# HTTPS API server
# --------------------------------------------------------------------------


TRUE_VALUES = {"1", "t", "T", "true", "TRUE", "True"}


class ApiState:
    def __init__(self, store, faults, reqlog, bookmark_interval, port_holder):
        self.store = store
        self.faults = faults
        self.reqlog = reqlog
        self.bookmark_interval = bookmark_interval
        self.port_holder = port_holder
        self.shutting_down = threading.Event()


def encode_continue(rv, last_key):
    raw = dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": last_key + "\x00"})
    return base64.b64encode(raw.encode()).decode()


def decode_continue(token):
    try:
        raw = json.loads(base64.b64decode(token + "=" * (-len(token) % 4), validate=False))
        if raw.get("v") != "meta.k8s.io/v1":
            raise ValueError("unsupported version")
        return int(raw["rv"]), str(raw["start"])
    except Exception as exc:
        raise SelectorError(f"continue key is not valid: {exc}") from exc


def route(path):
    """Returns (resource, namespace, name) or a special string, or None for unknown."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return ("discovery", group, version)

    def lookup(plural):
        r = RESOURCES.get(plural)
        if r is None or r.group != group or r.version != version:
            return None
        return r

    ns = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        ns, rest = rest[1], rest[2:]
    if len(rest) not in (1, 2):
        return None
    r = lookup(rest[0])
    if r is None or (ns is not None and not r.namespaced):
        return None
    name = rest[1] if len(rest) == 2 else None
    if name is not None and r.namespaced and ns is None:
        return None
    return (r, ns, name)


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver-test"
    sys_version = ""
    timeout = 600

    def log_message(self, fmt, *args):
        if getattr(self.server, "verbose", False):
            sys.stderr.write("api: " + (fmt % args) + "\n")

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, ssl.SSLError, TimeoutError, OSError):
            self.close_connection = True

    # -- plumbing -----------------------------------------------------------

    def _send_json(self, code, body, headers=None):
        data = dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers.items() if isinstance(headers, dict) else headers or []):
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self._status = code

    def _send_status(self, code, message, reason=None, details=None, headers=None):
        self._send_json(code, status_body(code, message, reason, details), headers)

    def _auth(self):
        try:
            cert = self.connection.getpeercert()
        except (ValueError, AttributeError):
            cert = None
        if cert:
            return "cert", True
        hdr = self.headers.get("Authorization", "")
        if hdr.startswith("Bearer "):
            with self.server.state.faults.lock:
                ok = hdr[7:].strip() in self.server.state.faults.tokens
            return "token", ok
        return "none", False

    def do_GET(self):
        self._status = None
        self._logged = False
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        auth, ok = self._auth()
        entry = {"method": self.command, "path": path, "query": url.query, "auth": auth, "status": None,
                 "time": time.time()}
        try:
            if st.faults.delay_ms:
                time.sleep(st.faults.delay_ms / 1000.0)
            failure = st.faults.take_failure()
            if failure is not None:
                msgs = {429: "Too many requests, please try again later.",
                        503: "the server is currently unable to handle the request",
                        500: "Internal error occurred: injected fault"}
                headers = {"Retry-After": "1"} if failure in (429, 503) else None
                details = {"retryAfterSeconds": 1} if failure in (429, 503) else None
                self._send_status(failure, msgs.get(failure, "injected fault"), details=details, headers=headers)
                return
            if path in ("/healthz", "/livez", "/readyz"):
                self._send_text(200, "ok")
                return
            if not ok:
                self._send_status(401, "Unauthorized")
                return
            if self.command != "GET" and self.command != "HEAD":
                self._send_status(405, f"the server does not allow this method on the requested resource")
                return
            self._dispatch(path, q, entry)
        finally:
            if not self._logged:
                entry["status"] = self._status or 200
                st.reqlog.add(entry)

    do_HEAD = do_GET

    def _method_not_allowed(self):
        self.close_connection = True  # the body is not read
        self.do_GET()

    do_PUT = do_PATCH = do_DELETE = _method_not_allowed

    def do_POST(self):
        """Create, as kubectl create does: validating admission webhooks run first (admission.py)."""
        self._status = None
        self._logged = False
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        auth, ok = self._auth()
        entry = {"method": "POST", "path": path, "query": url.query, "auth": auth, "status": None, "time": time.time()}
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            if not ok:
                self._send_status(401, "Unauthorized")
                return
            self._create(path, q, body, auth)
        finally:
            entry["status"] = self._status or 200
            st.reqlog.add(entry)

    def _create(self, path, q, body, auth):
        st = self.server.state
        r = route(path)
        if not isinstance(r, tuple) or r[0] == "discovery":
            self._send_status(404, "the server could not find the requested resource")
            return
        resource, ns, name = r
        if name is not None or (resource.namespaced and ns is None):
            self._send_status(405, "the server does not allow this method on the requested resource")
            return
        dry_run = q.get("dryRun")
        if dry_run not in (None, "All"):
            self._send_status(400, f"Invalid dryRun parameter: {dry_run!r}; the only accepted value is All")
            return
        try:
            obj = json.loads(body)
            assert isinstance(obj, dict)
        except (ValueError, AssertionError):
            self._send_status(400, "the body of the request was in an unknown format")
            return
        if obj.get("kind") not in (None, resource.kind):
            self._send_status(400, f"the kind {obj.get('kind')!r} does not match the resource {resource.plural}")
            return
        obj = copy.deepcopy(obj)
        obj["kind"], obj["apiVersion"] = resource.kind, resource.api_version
        md = obj.setdefault("metadata", {})
        if resource.namespaced:
            if md.get("namespace") not in (None, "", ns):
                self._send_status(400, "the namespace of the provided object does not match the namespace sent on the request")
                return
            md["namespace"] = ns
            namespace = st.store.get("namespaces", "", ns)
            if namespace is None:
                self._send_status(404, f'namespaces "{ns}" not found', details={"name": ns, "kind": "namespaces"})
                return
            ns_labels = (namespace.get("metadata") or {}).get("labels") or {}
        else:
            ns_labels = {}
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + "".join(random.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
        if not md.get("name"):
            self._send_status(422, f"{resource.kind} \"\" is invalid: metadata.name: Required value: name or generateName is required")
            return
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = now_rfc3339()
        user = {"username": "kubernetes-admin" if auth == "cert" else "test-token-user",
                "groups": ["system:masters" if auth == "cert" else "system:serviceaccounts", "system:authenticated"]}
        configurations = list(st.store.objects["validatingwebhookconfigurations"].values())
        log = (lambda text: sys.stderr.write("api: " + text + "\n")) if getattr(self.server, "verbose", False) else None
        error, warnings = admission.admit(configurations, resource, ns, ns_labels, obj, None, "CREATE", dry_run == "All", user, log)
        headers = [("Warning", '299 - "%s"' % w.replace('"', "'")) for w in warnings]
        if error is not None:
            code, message, reason = error
            self._send_json(code, status_body(code, message, reason), headers)
            return
        if st.store.get(resource.plural, ns if resource.namespaced else "", md["name"]) is not None:
            self._send_status(409, f'{resource.plural} "{md["name"]}" already exists', details={"name": md["name"], "kind": resource.plural})
            return
        if dry_run == "All":
            self._send_json(201, obj, headers)
            return
        _, stored = st.store.put(obj)
        self._send_json(201, stored, headers)

    def _send_text(self, code, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self._status = code

    def _dispatch(self, path, q, entry):
        st = self.server.state
        if path == "/version":
            self._send_json(200, {"major": "1", "minor": "31", "gitVersion": "v1.31.0",
                                  "gitCommit": "9edcffcde5595e8a5b1a35f88c421764e575afce", "gitTreeState": "clean",
                                  "buildDate": "2024-08-13T07:28:49Z", "goVersion": "go1.22.5", "compiler": "gc",
                                  "platform": "linux/amd64"})
            return
        if path == "/api":
            self._send_json(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{st.port_holder.get('api', 0)}"}]})
            return
        if path == "/apis":
            groups = []
            for g in sorted({r.group for r in RESOURCES.values() if r.group}):
                gv = {"groupVersion": f"{g}/v1", "version": "v1"}
                groups.append({"name": g, "versions": [gv], "preferredVersion": gv})
            self._send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
            return
        if path.startswith("/apis/") and path.count("/") == 2:
            g = path.split("/")[2]
            if any(r.group == g for r in RESOURCES.values()):
                gv = {"groupVersion": f"{g}/v1", "version": "v1"}
                self._send_json(200, {"kind": "APIGroup", "apiVersion": "v1", "name": g, "versions": [gv],
                                      "preferredVersion": gv})
                return
        target = route(path)
        if target is None:
            self._send_status(404, "the server could not find the requested resource", details={})
            return
        if target[0] == "discovery":
            _, group, version = target
            rs = [r for r in RESOURCES.values() if r.group == group and r.version == version]
            if not rs:
                self._send_status(404, "the server could not find the requested resource", details={})
                return
            gv = f"{group}/{version}" if group else version
            self._send_json(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": [
                {"name": r.plural, "singularName": r.kind.lower(), "namespaced": r.namespaced, "kind": r.kind,
                 "verbs": ["get", "list", "watch"], **({"shortNames": r.short} if r.short else {})} for r in rs]})
            return
        resource, ns, name = target
        if name is not None:
            obj = st.store.get(resource.plural, ns or "", name)
            if obj is None:
                self._send_status(404, f'{resource.plural} "{name}" not found',
                                  details={"name": name, "kind": resource.plural})
            else:
                self._send_json(200, obj)
            return
        try:
            match = make_filter(resource, ns, q.get("labelSelector"), q.get("fieldSelector"))
        except SelectorError as exc:
            self._send_status(400, str(exc))
            return
        if q.get("watch") in TRUE_VALUES:
            self._watch(resource, match, q, entry)
        else:
            self._list(resource, match, q)

    # -- LIST -----------------------------------------------------------------

    def _list(self, resource, match, q):
        store = self.server.state.store
        try:
            limit = int(q.get("limit") or 0)
        except ValueError:
            self._send_status(400, f"invalid limit: {q.get('limit')}")
            return
        cont = q.get("continue") or ""
        start_key = ""
        try:
            if cont:
                at_rv, start_key = decode_continue(cont)
            else:
                rv_param = q.get("resourceVersion") or ""
                if rv_param and rv_param != "0" and q.get("resourceVersionMatch") == "Exact":
                    at_rv = int(rv_param)
                else:
                    with store.lock:
                        at_rv = store.rv
        except (SelectorError, ValueError) as exc:
            self._send_status(400, str(exc))
            return
        try:
            with store.lock:
                view = store.snapshot(resource, at_rv)
        except Expired:
            if cont:
                self._send_status(410, CONTINUE_EXPIRED_MESSAGE)
            else:
                self._send_status(410, "The resourceVersion for the provided list is too old.")
            return
        keys = sorted(view)
        i = bisect.bisect_left(keys, start_key) if start_key else 0
        items, last = [], None
        while i < len(keys):
            o = view[keys[i]]
            if match(o):
                if limit and len(items) >= limit:
                    break
                items.append(o)
                last = keys[i]
            i += 1
        meta = {"resourceVersion": str(at_rv)}
        if i < len(keys):  # stopped at the limit with a matching item left
            meta["continue"] = encode_continue(at_rv, last)
            # Like the real server, the count is only given when no selector filters the rest.
            if not q.get("labelSelector") and not q.get("fieldSelector"):
                meta["remainingItemCount"] = sum(1 for k in keys[i:] if match(view[k]))
        self._write_list(resource, meta, items)

    def _write_list(self, resource, meta, items):
        head = ('{"kind":"%s","apiVersion":"%s","metadata":%s,"items":[' %
                (resource.list_kind, resource.api_version, dumps(meta))).encode()
        parts = []
        for o in items:
            parts.append(dumps({k: v for k, v in o.items() if k not in ("kind", "apiVersion")}))
        data = head + ",".join(parts).encode() + b"]}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self._status = 200

    # -- WATCH ----------------------------------------------------------------

    def _chunk(self, payload: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(payload), payload)

    def _watch(self, resource, match, q, entry):
        st = self.server.state
        store = st.store
        rv_param = q.get("resourceVersion") or ""
        initial = rv_param in ("", "0") or q.get("sendInitialEvents") in TRUE_VALUES
        bookmarks = q.get("allowWatchBookmarks") in TRUE_VALUES
        initial_end_marker = q.get("sendInitialEvents") in TRUE_VALUES and bookmarks
        try:
            timeout = float(q["timeoutSeconds"]) if q.get("timeoutSeconds") else None
            from_rv = int(rv_param) if rv_param not in ("",) else 0
        except ValueError:
            self._send_status(400, f"invalid resourceVersion or timeoutSeconds")
            return
        expired = None
        w = None
        try:
            w, first = store.start_watch(resource, match, from_rv, initial)
        except Expired as exc:
            expired = exc
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._status = 200
        # Log the watch now: it may stay open for the whole test.
        entry["status"] = 200
        self._logged = True
        st.reqlog.add(entry)
        if expired is not None:
            err = {"type": "ERROR", "object": status_body(
                410, f"too old resource version: {expired.requested} ({expired.floor})", "Expired")}
            self.wfile.write(self._chunk((dumps(err) + "\n").encode()) + b"0\r\n\r\n")
            return
        try:
            self._stream(w, first, timeout, bookmarks, initial_end_marker)
        finally:
            store.stop_watch(w)

    def _event_bytes(self, w, ev):
        """Encodes one history event for this watcher, applying selector transitions."""
        now_in = w.match(ev.obj)
        if ev.type == "MODIFIED" and ev.prev is not None:
            was_in = w.match(ev.prev)
            if now_in and not was_in:
                kind, obj = "ADDED", ev.obj
            elif was_in and not now_in:
                kind = "DELETED"
                obj = dict(ev.prev)
                obj["metadata"] = dict(ev.prev["metadata"], resourceVersion=str(ev.rv))
            elif now_in:
                kind, obj = "MODIFIED", ev.obj
            else:
                return None
        elif now_in:
            return ev.chunk()
        else:
            return None
        if kind == ev.type and obj is ev.obj:
            return ev.chunk()
        return self._chunk(('{"type":"%s","object":%s}\n' % (kind, dumps(obj))).encode())

    def _bookmark(self, w, rv, initial_end=False):
        md = {"resourceVersion": str(rv)}
        if initial_end:
            md["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": w.resource.kind, "apiVersion": w.resource.api_version, "metadata": md}
        return self._chunk((dumps({"type": "BOOKMARK", "object": obj}) + "\n").encode())

    def _abort(self):
        """Closes the connection without the terminating chunk or TLS close_notify."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _stream(self, w, first, timeout, bookmarks, initial_end_marker):
        st = self.server.state
        faults = st.faults
        out = []
        for ev in first:
            b = self._event_bytes(w, ev)
            if b:
                out.append(b)
        if first:
            w.last_rv = max(w.last_rv, max(ev.rv for ev in first))
        if initial_end_marker:
            out.append(self._bookmark(w, st.store.bookmark_rv(w), True))
        start = time.monotonic()
        deadline = start + timeout if timeout else None
        interval = st.bookmark_interval
        # --bookmark-interval N: a bookmark every N s (a test convenience). 0 (the default):
        # as the real API server's watch cache does, a bookmark roughly once a minute and
        # 2 s before the watch's timeout, and none at all for a resource that has not
        # changed since the server started.
        as_real = bookmarks and interval <= 0

        def next_real(now):
            at = now + REAL_BOOKMARK_FREQUENCY
            if deadline is not None:
                at = min(at, deadline - 2)
            return at if at > now else None

        if as_real:
            next_bm = next_real(start)
        else:
            next_bm = start + interval if bookmarks and interval > 0 else None
        while True:
            if w.broken:
                self._abort()
                return
            while faults.stalled() and not w.broken and not st.shutting_down.is_set():
                time.sleep(0.02)
                if next_bm is not None:
                    next_bm = max(next_bm, time.monotonic())
            if w.broken:
                self._abort()
                return
            if out:
                self.wfile.write(b"".join(out))
                out = []
            now = time.monotonic()
            if st.shutting_down.is_set() or (deadline is not None and now >= deadline):
                self.wfile.write(b"0\r\n\r\n")
                return
            if next_bm is not None and now >= next_bm:
                if not as_real or w.resource.plural in st.store.changed:
                    self.wfile.write(self._bookmark(w, st.store.bookmark_rv(w)))
                next_bm = next_real(now) if as_real else now + interval
                continue
            wait = 0.25
            if deadline is not None:
                wait = min(wait, deadline - now)
            if next_bm is not None:
                wait = min(wait, next_bm - now)
            try:
                ev = w.queue.get(timeout=max(wait, 0.001))
            except queue.Empty:
                continue
            batch = [ev]
            while len(batch) < 512:
                try:
                    batch.append(w.queue.get_nowait())
                except queue.Empty:
                    break
            for ev in batch:
                if ev is BREAK:
                    w.broken = True
                    break
                if ev is STOP:
                    continue
                b = self._event_bytes(w, ev)
                if b:
                    out.append(b)
                w.last_rv = max(w.last_rv, ev.rv)


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, handler, ssl_ctx, state, verbose=False):
        self.ssl_ctx = ssl_ctx
        self.state = state
        self.verbose = verbose
        super().__init__(addr, handler)

    def finish_request(self, request, client_address):
        # TLS handshake happens here, in the per-connection thread, so a slow client can't block accept().
        try:
            request.settimeout(10)
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError, ValueError):
            return
        try:
            tls.settimeout(None)
            self.RequestHandlerClass(tls, client_address, self)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# Control server (plain HTTP)
# --------------------------------------------------------------------------


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-api-test-control"
    sys_version = ""

    def log_message(self, fmt, *args):
        if getattr(self.server, "verbose", False):
            sys.stderr.write("control: " + (fmt % args) + "\n")

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def _send(self, code, body):
        data = (dumps(body) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw.strip() else {}

    def _route(self):
        ctl = self.server.ctl
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        try:
            if self.command == "POST":
                body = self._body()
            else:
                body = None
            return self._handle(ctl, path, body)
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, {"error": str(exc)})

    do_GET = do_POST = do_DELETE = do_PUT = _route

    def _handle(self, ctl, path, body):
        store, faults = ctl.store, ctl.faults
        m = self.command
        if path == "/objects" and m == "POST":
            if isinstance(body, list):
                objs, many = body, True
            elif "items" in body:
                list_kind = body.get("kind", "")
                objs = [o if "kind" in o or not list_kind.endswith("List") else dict(o, kind=list_kind[:-4])
                        for o in body["items"]]
                many = True
            else:
                objs, many = [body], False
            out = [store.put(o)[1] for o in objs]
            self._send(200, out if many else out[0])
            return
        if path.startswith("/objects/") and m == "DELETE":
            parts = path.split("/")[2:]
            if len(parts) != 3:
                raise ValueError("use DELETE /objects/{resource}/{namespace-or-_}/{name}")
            plural, ns, name = parts
            if plural not in RESOURCES:
                raise ValueError(f"unknown resource {plural}")
            gone = store.delete(plural, "" if ns == "_" else ns, name)
            if gone is None:
                self._send(404, {"error": "not found"})
            else:
                self._send(200, gone)
            return
        if path.startswith("/objects/") and m == "GET":
            parts = path.split("/")[2:]
            if len(parts) == 3:
                o = store.get(parts[0], "" if parts[1] == "_" else parts[1], parts[2])
                self._send(200 if o else 404, o or {"error": "not found"})
                return
        if path == "/faults" and m == "POST":
            applied = {}
            if body.get("break_watches"):
                with store.lock:
                    ws = list(store.watchers.values())
                for w in ws:
                    w.broken = True
                    w.queue.put(BREAK)
                applied["broken_watches"] = len(ws)
            if "stall_watches_seconds" in body:
                faults.stall_until = time.monotonic() + float(body["stall_watches_seconds"])
                applied["stall_watches_seconds"] = float(body["stall_watches_seconds"])
            if body.get("expire_tokens"):
                with faults.lock:
                    faults.tokens.clear()
                applied["expire_tokens"] = True
            if body.get("token"):
                with faults.lock:
                    faults.tokens.add(str(body["token"]))
                applied["token"] = "set"
            if body.get("compact"):
                store.compact()
                applied["compacted_at"] = str(store.rv)
            if "fail_next" in body:
                fn = body["fail_next"] or {}
                with faults.lock:
                    faults.fail_count = int(fn.get("count", 1))
                    faults.fail_status = int(fn.get("status", 500))
                applied["fail_next"] = {"count": faults.fail_count, "status": faults.fail_status}
            if "delay_ms" in body:
                faults.delay_ms = max(0, int(body["delay_ms"]))
                applied["delay_ms"] = faults.delay_ms
            if body.get("clear"):
                faults.stall_until = 0
                faults.delay_ms = 0
                with faults.lock:
                    faults.fail_count = 0
                applied["cleared"] = True
            self._send(200, applied)
            return
        if path == "/requests":
            if m == "GET":
                self._send(200, ctl.reqlog.list())
            elif m == "DELETE":
                ctl.reqlog.clear()
                self._send(200, {"cleared": True})
            else:
                self._send(405, {"error": "method not allowed"})
            return
        if path == "/churn" and m == "POST":
            if ctl.churn.start(body or {}):
                self._send(202, {"started": True})
            else:
                self._send(409, {"error": "churn already running"})
            return
        if path == "/churn" and m == "DELETE":
            ctl.churn.stop_flag.set()
            self._send(200, {"stopping": True})
            return
        if path == "/churn/log" and m == "GET":
            with ctl.churn.lock:
                log = list(ctl.churn.log)
            self._send(200, log)
            return
        if path == "/churn/status" and m == "GET":
            self._send(200, ctl.churn.status())
            return
        if path == "/state" and m == "GET":
            s = store.state()
            s["churn"] = ctl.churn.status()
            self._send(200, s)
            return
        if path == "/healthz":
            self._send(200, {"ok": True})
            return
        self._send(404, {"error": f"no control endpoint {m} {path}"})


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, ctl, verbose=False):
        self.ctl = ctl
        self.verbose = verbose
        super().__init__(addr, ControlHandler)


class Control:
    def __init__(self, store, faults, reqlog, churn):
        self.store, self.faults, self.reqlog, self.churn = store, faults, reqlog, churn


# --------------------------------------------------------------------------
# kubeconfig, fixture, main
# --------------------------------------------------------------------------


def b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def write_kubeconfig(path, certs, port, token):
    ca = b64file(os.path.join(certs, "ca.crt"))
    text = f"""apiVersion: v1
kind: Config
preferences: {{}}
clusters:
- name: rampart-test
  cluster:
    server: https://127.0.0.1:{port}
    certificate-authority-data: {ca}
users:
- name: rampart-token
  user:
    token: {token}
- name: rampart-cert
  user:
    client-certificate-data: {b64file(os.path.join(certs, "client.crt"))}
    client-key-data: {b64file(os.path.join(certs, "client.key"))}
contexts:
- name: rampart-token
  context:
    cluster: rampart-test
    user: rampart-token
    namespace: default
- name: rampart-cert
  context:
    cluster: rampart-test
    user: rampart-cert
current-context: rampart-token
"""
    atomic_write(path, text)


def atomic_write(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def load_fixture(store, path):
    with open(path) as f:
        data = json.load(f)
    items = data if isinstance(data, list) else data.get("items", [data])
    list_kind = data.get("kind", "") if isinstance(data, dict) else ""
    for o in items:
        if "kind" not in o and list_kind.endswith("List") and list_kind != "List":
            o = dict(o, kind=list_kind[:-4])
        store.put(o)
    return len(items)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Local Kubernetes API test server")
    ap.add_argument("--certs", required=True, help="directory written by make-certs.sh")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--token", default="test-token")
    ap.add_argument("--fixture", help="JSON file: a list of objects, a v1 List, or {items:[...]}")
    ap.add_argument("--demo", action="store_true", help="load a small demo cluster built from the object helpers")
    ap.add_argument("--bookmark-interval", type=float, default=0.0,
                    help="seconds between bookmarks; 0 (default): as the real API server, never on a timer")
    ap.add_argument("--history", type=int, default=10000)
    ap.add_argument("--write-kubeconfig")
    ap.add_argument("--write-ports")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    store = Store(history=args.history)
    faults = Faults(args.token)
    reqlog = RequestLog()
    churn = Churn(store)
    ports = {}
    if args.demo:
        for o in demo_objects():
            store.put(o)
    if args.fixture:
        load_fixture(store, args.fixture)
    store.serving = True

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(args.certs, "server.crt"), os.path.join(args.certs, "server.key"))
    ctx.load_verify_locations(os.path.join(args.certs, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])

    state = ApiState(store, faults, reqlog, args.bookmark_interval, ports)
    api = TLSServer(("127.0.0.1", args.port), ApiHandler, ctx, state, args.verbose)
    control = ControlServer(("127.0.0.1", args.control_port), Control(store, faults, reqlog, churn), args.verbose)
    ports["api"] = api.server_address[1]
    ports["control"] = control.server_address[1]

    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
               for s in (api, control)]
    for t in threads:
        t.start()
    if args.write_kubeconfig:
        write_kubeconfig(args.write_kubeconfig, args.certs, ports["api"], args.token)
    if args.write_ports:
        atomic_write(args.write_ports, dumps(ports))
    print(f"kube_api_server: api https://127.0.0.1:{ports['api']} control http://127.0.0.1:{ports['control']}",
          flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    # Graceful: open watches get their terminating chunk, then listeners close.
    state.shutting_down.set()
    churn.stop_flag.set()
    with store.lock:
        for w in store.watchers.values():
            w.queue.put(STOP)
    time.sleep(0.3)
    for s in (api, control):
        s.shutdown()
        s.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
