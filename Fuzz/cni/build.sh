#!/usr/bin/env bash
# Builds and runs the libFuzzer target for what the CNI plugin and the node agent read from
# outside (CNI stdin, configurations, prevResults, CNI_* variables, agent protocol lines,
# rtnetlink replies):
#   Fuzz/cni/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartNetlink + RampartJSON + RampartCNI + the target are compiled as ONE Swift module (copies without
# their `import Rampart…` lines) with -sanitize=fuzzer,address. No Foundation, no C.
# Corpus: Fuzz/cni/corpus (seeded on first run). Crashes: Fuzz/cni/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/cni/bin
mkdir -p "$out" Fuzz/cni/corpus
fuzz_clinux "$out"
fuzz_sources "$out" Sources/RampartNetlink Sources/RampartJSON Sources/RampartPOSIX Sources/RampartLog Sources/RampartCNI
fuzz_build "$out" CNIParsersFuzz RampartCNI Fuzz/cni/CNIParsersFuzz.swift "${CLINUX_FLAGS[@]}"
if [[ -z $(ls -A Fuzz/cni/corpus) ]]; then
    printf '\x00{"cniVersion":"1.1.0","name":"k8s","type":"rampart-cni","vni":7,"firewallEndpoints":["10.0.0.50"],"trustCIDRs":["10.96.0.0/12"],"failMode":"closed","prevResult":{"cniVersion":"1.1.0","interfaces":[{"name":"veth1"},{"name":"eth0","sandbox":"/run/netns/p"}],"ips":[{"address":"10.244.1.2/24","interface":1}]}}' >Fuzz/cni/corpus/config
    printf '\x01{"cniVersion":"0.4.0","interfaces":[{"name":"cali1","mac":"aa:bb:cc:dd:ee:ff"},{"name":"eth0","sandbox":"/run/netns/p"}],"ips":[{"version":"4","address":"10.244.1.2/24","gateway":"10.244.1.1","interface":1},{"address":"fd00::2/64","interface":1}],"routes":[{"dst":"0.0.0.0/0"}]}' >Fuzz/cni/corpus/prev
    printf '\x02CNI_COMMAND=ADD\nCNI_CONTAINERID=abc\nCNI_NETNS=/run/netns/p\nCNI_IFNAME=eth0\nCNI_PATH=/opt/cni/bin\nCNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1\n' >Fuzz/cni/corpus/env
    printf '\x03{"op":"attach","containerID":"c","ifname":"eth0","netns":"/run/netns/p","namespace":"shop","pod":"web","ips":["10.244.1.2"],"hostInterface":"veth1","steered":true}' >Fuzz/cni/corpus/agent
    printf '\x04\x24\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x14\x00\x05\x00\x01\x00\x00\x00\x00\x00\x00\x00' >Fuzz/cni/corpus/netlink
fi
fuzz_run "$out" CNIParsersFuzz Fuzz/cni/corpus "$seconds" "$@"
