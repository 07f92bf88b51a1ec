#!/usr/bin/env bash
# Builds and runs the libFuzzer target for what the CNI plugin and the node agent read from
# outside (CNI stdin, configurations, prevResults, CNI_* variables, agent protocol lines,
# rtnetlink replies):
#   Fuzz/cni/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartNetlink + RampartCNI + the target are compiled as ONE Swift module (copies without
# their `import Rampart…` lines) with -sanitize=fuzzer,address. No Foundation, no C.
# Corpus: Fuzz/cni/corpus (seeded on first run). Crashes: Fuzz/cni/bin/crashes/.
set -euo pipefail
seconds=${1:-60}
shift || true
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS] [libFuzzer flags...]" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
out=Fuzz/cni/bin
mkdir -p "$out/crashes" Fuzz/cni/corpus
rm -rf "$out/src" && mkdir -p "$out/src"
sources=()
while IFS= read -r f; do
    copy=$out/src/$(echo "$f" | tr / _)
    grep -v '^import Rampart' "$f" >"$copy"
    sources+=("$copy")
done < <(find Sources/RampartNetlink Sources/RampartCNI -name '*.swift' | sort)
echo "compiling ${#sources[@]} Swift files + the fuzz target"
if ! swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name RampartCNI \
    "${sources[@]}" Fuzz/cni/CNIParsersFuzz.swift -o "$out/CNIParsersFuzz" >"$out/build.log" 2>&1; then
    grep -v "warning:" "$out/build.log" >&2
    exit 1
fi
if [[ -z $(ls -A Fuzz/cni/corpus) ]]; then
    printf '\x00{"cniVersion":"1.1.0","name":"k8s","type":"rampart-cni","vni":7,"firewallEndpoints":["10.0.0.50"],"trustCIDRs":["10.96.0.0/12"],"failMode":"closed","prevResult":{"cniVersion":"1.1.0","interfaces":[{"name":"veth1"},{"name":"eth0","sandbox":"/run/netns/p"}],"ips":[{"address":"10.244.1.2/24","interface":1}]}}' >Fuzz/cni/corpus/config
    printf '\x01{"cniVersion":"0.4.0","interfaces":[{"name":"cali1","mac":"aa:bb:cc:dd:ee:ff"},{"name":"eth0","sandbox":"/run/netns/p"}],"ips":[{"version":"4","address":"10.244.1.2/24","gateway":"10.244.1.1","interface":1},{"address":"fd00::2/64","interface":1}],"routes":[{"dst":"0.0.0.0/0"}]}' >Fuzz/cni/corpus/prev
    printf '\x02CNI_COMMAND=ADD\nCNI_CONTAINERID=abc\nCNI_NETNS=/run/netns/p\nCNI_IFNAME=eth0\nCNI_PATH=/opt/cni/bin\nCNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1\n' >Fuzz/cni/corpus/env
    printf '\x03{"op":"attach","containerID":"c","ifname":"eth0","netns":"/run/netns/p","namespace":"shop","pod":"web","ips":["10.244.1.2"],"hostInterface":"veth1","steered":true}' >Fuzz/cni/corpus/agent
    printf '\x04\x24\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x14\x00\x05\x00\x01\x00\x00\x00\x00\x00\x00\x00' >Fuzz/cni/corpus/netlink
fi
echo "fuzzing for $seconds s"
"$out/CNIParsersFuzz" Fuzz/cni/corpus -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
    -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@" 2>&1 | tee "$out/fuzz.log" | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|stat::number_of_executed_units|stat::peak_rss" || true
grep -q "ERROR: AddressSanitizer\|ERROR: libFuzzer\|==ERROR\|Program crashed" "$out/fuzz.log" && { echo "crash found, see $out/crashes/" >&2; exit 1; }
exit 0
