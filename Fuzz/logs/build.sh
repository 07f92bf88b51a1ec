#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the manager's log store readers (the EVE field
# scanner against RampartJSON's parser, the syslog frame decoder whole against cut):
#   Fuzz/logs/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartJSON, the two readers and the target are compiled as ONE Swift module with
# -sanitize=fuzzer,address. Corpus: Fuzz/logs/corpus (seeded on first run). Crashes: Fuzz/logs/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/logs/bin
mkdir -p "$out" Fuzz/logs/corpus
fuzz_sources "$out" Sources/RampartJSON Sources/RampartManager/Logs/EVEFieldScanner.swift Sources/RampartManager/Logs/SyslogFrameDecoder.swift
fuzz_build "$out" LogsFuzz RampartLogsFuzz Fuzz/logs/LogsFuzz.swift
if [[ -z $(ls -A Fuzz/logs/corpus) ]]; then
    printf '{"timestamp":"2026-12-04T12:00:00.000000+0000","event_type":"flow","src_ip":"10.244.1.1","src_port":40000,"dest_ip":"10.244.2.1","dest_port":5432,"proto":"TCP","app_proto":"postgresql","flow":{"action":"deny","x":[1,{"a":"b"}]},"rampart":{"rule":"no-db","action":"deny","app":"postgresql","src_tags":["ns:shop","pod:shop/web-1"],"dest_tags":[]}}' >Fuzz/logs/corpus/flow
    printf '{"event_type":"alert","alert":{"signature":"ET \\u00e9\\ud83d\\ude00 \\"x\\"","action":"blocked"},"rampart":{"rule":"a","rule":"b"},"src_port":-1.5e3}' >Fuzz/logs/corpus/alert
    printf '98 <134>1 2026-12-04T12:00:00.000000Z fw-1 rampart-firewall 4711 flow - {"event_type":"flow","timestamp":"x"}<134>1 - h a - dns [x a="]"] {}\n' >Fuzz/logs/corpus/syslog
fi
fuzz_run "$out" LogsFuzz Fuzz/logs/corpus "$seconds" "$@"
