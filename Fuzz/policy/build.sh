#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the policy loader:
#   Fuzz/policy/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartWire + RampartPolicy + the target are compiled as ONE Swift module (copies without
# their `import Rampart…` lines) with -sanitize=fuzzer,address; libyaml as fuzz_cyaml in
# Fuzz/lib.sh provides it (compiled from source with coverage and ASan when it can, else the
# system's -lyaml).
# Corpus: Fuzz/policy/corpus (seeded from Samples/ and Fuzz/policy/seeds/). Crashes: Fuzz/policy/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/policy/bin
mkdir -p "$out" Fuzz/policy/corpus
fuzz_cyaml "$out"
fuzz_sources "$out" Sources/RampartWire Sources/RampartConfig Sources/RampartPolicy
fuzz_build "$out" PolicyLoaderFuzz RampartWire Fuzz/policy/PolicyLoaderFuzz.swift "${CYAML_FLAGS[@]}"
# Seed the corpus with the samples the first time.
if [[ -z $(ls -A Fuzz/policy/corpus) ]]; then
    cp Samples/policy.yaml Fuzz/policy/corpus/policy.yaml 2>/dev/null || true
    cp Samples/tags.yaml Fuzz/policy/corpus/tags.yaml 2>/dev/null || true
    cp Fuzz/policy/seeds/* Fuzz/policy/corpus/ 2>/dev/null || true   # profiles (issue 14)
fi
fuzz_run "$out" PolicyLoaderFuzz Fuzz/policy/corpus "$seconds" "$@"
