#!/usr/bin/env bash
# Builds and runs the libFuzzer target for what the manager reads from outside (watch
# events, lists, kubeconfigs, credential files, its configuration):
#   Fuzz/kube/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# libyaml (Yams's CYaml) is compiled by clang; RampartWire, RampartPolicy, the pure parts of
# RampartKube and the manager's configuration with the target as ONE Swift module, all with
# -sanitize=fuzzer,address. CYaml comes from .build/checkouts (run `swift build` first) or
# $YAMS_DIR.
# Corpus: Fuzz/kube/corpus (seeded with real API shapes). Crashes: Fuzz/kube/bin/crashes/.
set -euo pipefail
seconds=${1:-60}
shift || true
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS] [libFuzzer flags...]" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
out=Fuzz/kube/bin
mkdir -p "$out/crashes" "$out/cyaml" Fuzz/kube/corpus
yams=${YAMS_DIR:-.build/checkouts/Yams}
[[ -f $yams/Sources/CYaml/src/parser.c ]] || { echo "no Yams checkout at $yams: run swift build first" >&2; exit 1; }
cyaml=$yams/Sources/CYaml

echo "compiling libyaml"
objects=()
for c in "$cyaml"/src/*.c; do
    o=$out/cyaml/$(basename "${c%.c}").o
    clang -O1 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_STATIC -I "$cyaml/include" -c "$c" -o "$o"
    objects+=("$o")
done
mapfile -t sources < <(find Sources/RampartWire Sources/RampartPolicy Sources/RampartKube/Resources Sources/RampartKube/Tags -name '*.swift' | sort)
sources+=(Sources/RampartKube/Client/KubeError.swift Sources/RampartKube/Client/TLSSettings.swift
          Sources/RampartKube/Client/ClusterCredentials.swift Sources/RampartManager/Configuration/ManagerConfiguration.swift)
# One module: our cross-module imports become same-module, so copies drop those lines.
rm -rf "$out/src" && mkdir -p "$out/src"
copies=()
for f in "${sources[@]}"; do
    copy=$out/src/$(echo "$f" | tr / _)
    grep -v '^import Rampart' "$f" >"$copy"
    copies+=("$copy")
done
sources=("${copies[@]}")
echo "compiling ${#sources[@]} Swift files + the fuzz target"
if ! swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name RampartWire \
    -Xcc -fmodule-map-file="$cyaml/include/module.modulemap" -I "$cyaml/include" \
    "${sources[@]}" Fuzz/kube/KubeParsersFuzz.swift "${objects[@]}" \
    -o "$out/KubeParsersFuzz" >"$out/build.log" 2>&1; then
    grep -v 'Cannot export local symbol' "$out/build.log" | grep -v "warning:" >&2
    exit 1
fi

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

echo "fuzzing for $seconds s"
"$out/KubeParsersFuzz" Fuzz/kube/corpus -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
    -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@" 2>&1 | tee "$out/fuzz.log" | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|stat::number_of_executed_units|stat::peak_rss" || true
grep -q "ERROR: AddressSanitizer\|ERROR: libFuzzer\|==ERROR" "$out/fuzz.log" && { echo "crash found, see $out/crashes/" >&2; exit 1; }
exit 0
