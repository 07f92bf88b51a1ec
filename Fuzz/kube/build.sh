#!/usr/bin/env bash
# Builds and runs the libFuzzer target for what the manager reads from outside (watch
# events, lists, kubeconfigs, credential files, its configuration):
#   Fuzz/kube/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartWire, RampartConfig, RampartPolicy, RampartJSON, RampartPOSIX, RampartHTTP (the `tls:`
# block's reader), the pure parts of RampartKube and the manager's configuration (with its
# firewalls' TLS) with the target as ONE Swift module, with -sanitize=fuzzer,address;
# libyaml as fuzz_cyaml in Fuzz/lib.sh provides it (instrumented from source when it can).
# Corpus: Fuzz/kube/corpus (seeded with real API shapes). Crashes: Fuzz/kube/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/kube/bin
mkdir -p "$out" Fuzz/kube/corpus
fuzz_cyaml "$out"
# RampartHTTP without its libcurl client (HTTPConnection): the readers need only its types.
fuzz_sources "$out" Sources/RampartWire Sources/RampartConfig Sources/RampartPolicy Sources/RampartJSON Sources/RampartPOSIX \
    $(ls Sources/RampartHTTP/*.swift) Sources/RampartHTTP/Client/TLSSettings.swift Sources/RampartHTTP/Client/HTTPClientError.swift \
    Sources/RampartKube/Resources Sources/RampartKube/Tags Sources/RampartKube/Trust \
    Sources/RampartKube/Client/KubeError.swift \
    Sources/RampartKube/Client/ClusterCredentials.swift Sources/RampartManager/Configuration \
    Sources/RampartManager/ImageTrust/AdmissionReview.swift
fuzz_build "$out" KubeParsersFuzz RampartWire Fuzz/kube/KubeParsersFuzz.swift \
    "${CYAML_FLAGS[@]}" -I Sources/COpenSSL
if [[ -z $(ls -A Fuzz/kube/corpus) ]]; then
    printf '\x00{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","namespace":"b","resourceVersion":"5","labels":{"app":"web"},"ownerReferences":[{"kind":"ReplicaSet","name":"r","controller":true}]},"spec":{"nodeName":"n","containers":[{"name":"c","image":"nginx"}]},"status":{"phase":"Running","podIP":"10.0.0.1","podIPs":[{"ip":"10.0.0.1"}]}}}' >Fuzz/kube/corpus/watch
    printf '\x01{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9","continue":"x"},"items":[{"metadata":{"name":"a","namespace":"b"},"status":{"podIP":"10.0.0.2"}}]}' >Fuzz/kube/corpus/list
    printf '\x02{"kind":"EndpointSliceList","metadata":{"resourceVersion":"3"},"items":[{"metadata":{"name":"s","namespace":"b","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"targetRef":{"kind":"Pod","name":"a","namespace":"b"}}]}]}' >Fuzz/kube/corpus/slices
    printf '\x03{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (120)","reason":"Expired","code":410}}' >Fuzz/kube/corpus/error
    { printf '\x04'; cat <<'YAML'; } >Fuzz/kube/corpus/config
apiVersion: rampart.io/v1
kind: ManagerConfiguration
spec:
  clusters:
    - {name: prod, id: 7, kubeconfig: k.yaml, tagStyle: both, labels: [app]}
  firewalls:
    - {name: fw, admin: "http://127.0.0.1:9680"}
YAML
    { printf '\x05'; cat <<'YAML'; } >Fuzz/kube/corpus/kubeconfig
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: "LS0t"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
YAML
    printf '\x06{"kind":"Secret","data":{"token":"YWJj","ca.crt":"LS0t"}}' >Fuzz/kube/corpus/secret
fi
# Image trust's seeds, added to a corpus made before them too.
[[ -e Fuzz/kube/corpus/image ]] || printf '\x07registry.example.com:5000/team/app:v1@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nteam in (pay,shop),!legacy' >Fuzz/kube/corpus/image
[[ -e Fuzz/kube/corpus/review ]] || printf '\x08{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"batch","version":"v1","kind":"CronJob"},"namespace":"pay","operation":"UPDATE","dryRun":true,"object":{"metadata":{"generateName":"x-"},"spec":{"jobTemplate":{"spec":{"template":{"spec":{"initContainers":[{"name":"i","image":"nginx:1.25"}],"containers":[{"name":"c","image":"quay.io/a/b@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]}}}}}},"oldObject":{"spec":{"containers":[]}}}}' >Fuzz/kube/corpus/review
[[ -e Fuzz/kube/corpus/trustpod ]] || printf '\x09{"metadata":{"name":"a","namespace":"b"},"spec":{"containers":[{"name":"c","image":"nginx:1.25"}],"ephemeralContainers":[{"name":"d","image":"busybox"}]},"status":{"phase":"Running","containerStatuses":[{"name":"c","imageID":"docker-pullable://nginx@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]}}' >Fuzz/kube/corpus/trustpod

fuzz_run "$out" KubeParsersFuzz Fuzz/kube/corpus "$seconds" "$@"
