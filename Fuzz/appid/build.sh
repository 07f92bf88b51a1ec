#!/usr/bin/env bash
# Builds and runs the libFuzzer target over every App-ID decoder:
#   Fuzz/appid/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# The sources of RampartWire, RampartPolicy and RampartInspect are copied with their
# `import Rampart…` lines removed and compiled as ONE Swift module with the target, with
# -sanitize=fuzzer,address; libyaml (used by the policy loader) as fuzz_cyaml in Fuzz/lib.sh
# provides it. libFuzzer finds its way from an empty corpus; the corpus is kept in
# Fuzz/appid/corpus. Crashes: Fuzz/appid/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/appid/bin
mkdir -p "$out" Fuzz/appid/corpus
fuzz_cyaml "$out"
fuzz_sources "$out" Sources/RampartWire Sources/RampartConfig Sources/RampartPolicy Sources/RampartInspect
fuzz_build "$out" AppIDFuzz RampartFuzz Fuzz/appid/AppIDFuzz.swift "${CYAML_FLAGS[@]}"
fuzz_run "$out" AppIDFuzz Fuzz/appid/corpus "$seconds" -max_len=8192 "$@"
