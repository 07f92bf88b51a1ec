#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the firewall's non-packet inputs (admin API
# requests read from a socket, tag update bodies, configuration files):
#   Fuzz/firewall/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# libyaml (Yams's CYaml) is compiled by clang; RampartWire, RampartPolicy, RampartInspect,
# RampartDataplane and the target as ONE Swift module (copies without their
# `import Rampart…` lines), all with -sanitize=fuzzer,address. CYaml comes from
# .build/checkouts (run `swift build` first) or $YAMS_DIR.
# Corpus: Fuzz/firewall/corpus (seeded on first run). Crashes: Fuzz/firewall/bin/crashes/.
set -euo pipefail
seconds=${1:-60}
shift || true
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS] [libFuzzer flags...]" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
out=Fuzz/firewall/bin
mkdir -p "$out/crashes" "$out/cyaml" Fuzz/firewall/corpus
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
rm -rf "$out/src" && mkdir -p "$out/src"
sources=()
while IFS= read -r f; do
    copy=$out/src/$(echo "$f" | tr / _)
    grep -v '^import Rampart' "$f" >"$copy"
    sources+=("$copy")
done < <(find Sources/RampartWire Sources/RampartPolicy Sources/RampartInspect Sources/RampartDataplane -name '*.swift' | sort)
echo "compiling ${#sources[@]} Swift files + the fuzz target"
if ! swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name RampartDataplane \
    -Xcc -fmodule-map-file="$cyaml/include/module.modulemap" -I "$cyaml/include" \
    "${sources[@]}" Fuzz/firewall/FirewallInputsFuzz.swift "${objects[@]}" \
    -o "$out/FirewallInputsFuzz" >"$out/build.log" 2>&1; then
    grep -v 'Cannot export local symbol' "$out/build.log" | grep -v "warning:" >&2
    exit 1
fi
if [[ -z $(ls -A Fuzz/firewall/corpus) ]]; then
    printf '\x00{"sequence": 13, "replace": true, "updates": [{"address": "10.244.1.10", "tags": ["ns:shop", "pod:shop/web-1", "k8s.cl_prod.ns_shop"]}, {"address": "fd00::7", "tags": []}]}' >Fuzz/firewall/corpus/batch
    printf '\x01{"sequence": 12, "address": "10.244.1.10", "tags": ["ns:shop", "label:app=web"]}' >Fuzz/firewall/corpus/update
    printf '\x02POST /tags?x=%%41 HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\nExpect: 100-continue\r\n\r\n{"sequence": 1}  ' >Fuzz/firewall/corpus/request
    { printf '\x03'; cat <<'YAML'; } >Fuzz/firewall/corpus/config
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: f}
spec: {listen: 0.0.0.0:6080, admin: off, vnis: [7], syslog: "tcp://127.0.0.1:514", tagState: /tmp/x.json, udpGSO: true}
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: p}
spec:
  zones:
    - {name: a, networks: [10.0.0.0/8], vni: [7], nodes: [192.168.0.0/16]}
  rules:
    - {name: r, from: [a], to: [a], action: allow}
YAML
fi
echo "fuzzing for $seconds s"
"$out/FirewallInputsFuzz" Fuzz/firewall/corpus -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
    -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@" 2>&1 | tee "$out/fuzz.log" | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|stat::number_of_executed_units|stat::peak_rss" || true
grep -q "ERROR: AddressSanitizer\|ERROR: libFuzzer\|==ERROR\|Program crashed" "$out/fuzz.log" && { echo "crash found, see $out/crashes/" >&2; exit 1; }
exit 0
