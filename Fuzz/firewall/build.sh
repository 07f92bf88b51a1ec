#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the firewall's non-packet inputs (admin API
# requests read from a socket, tag update bodies, configuration files):
#   Fuzz/firewall/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartWire, RampartPolicy, RampartInspect, RampartDataplane and what it imports of ours
# (RampartJSON, RampartPOSIX, RampartHTTP, RampartLog) with the target as ONE Swift module (copies without
# their `import Rampart…` lines), with -sanitize=fuzzer,address; libyaml as fuzz_cyaml in
# Fuzz/lib.sh provides it (instrumented from source when it can).
# Corpus: Fuzz/firewall/corpus (seeded on first run). Crashes: Fuzz/firewall/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/firewall/bin
mkdir -p "$out" Fuzz/firewall/corpus
fuzz_cyaml "$out"
fuzz_clinux "$out"
fuzz_sources "$out" Sources/RampartWire Sources/RampartConfig Sources/RampartPolicy Sources/RampartInspect Sources/RampartDataplane \
    Sources/RampartJSON Sources/RampartPOSIX Sources/RampartHTTP Sources/RampartLog
fuzz_build "$out" FirewallInputsFuzz RampartDataplane Fuzz/firewall/FirewallInputsFuzz.swift \
    "${CYAML_FLAGS[@]}" "${CLINUX_FLAGS[@]}" -I Sources/COpenSSL
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
fuzz_run "$out" FirewallInputsFuzz Fuzz/firewall/corpus "$seconds" "$@"
