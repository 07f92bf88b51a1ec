#!/usr/bin/env bash
# Builds and runs the libFuzzer target for RampartJSON's parser (both duplicate-key modes, and
# serialise -> parse round trips):
#   Fuzz/json/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartJSON + the target are compiled as ONE Swift module with -sanitize=fuzzer,address.
# Corpus: Fuzz/json/corpus (seeded on first run). Crashes: Fuzz/json/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/json/bin
mkdir -p "$out" Fuzz/json/corpus
fuzz_sources "$out" Sources/RampartJSON
fuzz_build "$out" JSONValueFuzz RampartJSON Fuzz/json/JSONValueFuzz.swift
if [[ -z $(ls -A Fuzz/json/corpus) ]]; then
    printf '{"sequence": 13, "replace": true, "updates": [{"address": "10.244.1.10", "tags": ["ns:shop", "pod:shop/web-1"]}, {"address": "fd00::7", "tags": []}]}' >Fuzz/json/corpus/batch
    printf '{"cniVersion":"1.1.0","name":"k8s","plugins":[{"type":"calico","mtu":-1.5e+3,"ok":true,"x":null}],"s":"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/"}' >Fuzz/json/corpus/cni
    printf '{"a": 1, "a": 2, "b": {"c": [0, -0.0, 1E9], "c": "\\u0000"}}' >Fuzz/json/corpus/duplicates
    printf '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n' >Fuzz/json/corpus/deep
fi
fuzz_run "$out" JSONValueFuzz Fuzz/json/corpus "$seconds" "$@"
