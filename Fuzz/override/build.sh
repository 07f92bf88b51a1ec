#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the URL filtering override form's query:
#   Fuzz/override/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# Sources/RampartInspect/Profiles/URLOverrideQuery.swift and the URL path normaliser (its hex
# digits) are compiled with the target as ONE Swift module with -sanitize=fuzzer,address.
# Input: a host line, then the request target. Corpus: Fuzz/override/corpus, seeded the first
# time from Fuzz/override/seeds. Crashes: Fuzz/override/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/override/bin
mkdir -p "$out" Fuzz/override/corpus
fuzz_sources "$out" Sources/RampartInspect/Profiles/URLOverrideQuery.swift Sources/RampartInspect/Lists/URLPathNormalizer.swift
fuzz_build "$out" OverrideFuzz RampartFuzz Fuzz/override/OverrideFuzz.swift
if [[ -z $(ls -A Fuzz/override/corpus) ]]; then
    cp Fuzz/override/seeds/* Fuzz/override/corpus/
fi
fuzz_run "$out" OverrideFuzz Fuzz/override/corpus "$seconds" -max_len=4096 "$@"
