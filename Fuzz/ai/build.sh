#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the AI inspection:
#   Fuzz/ai/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# Sources/RampartInspect/AI (self-contained: it imports nothing) and the target are compiled
# as ONE Swift module with -sanitize=fuzzer,address. Input: an operation byte, a piece-size
# byte, then the body. Corpus: Fuzz/ai/corpus, seeded the first time from Fuzz/ai/seeds.
# Crashes: Fuzz/ai/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/ai/bin
mkdir -p "$out" Fuzz/ai/corpus
fuzz_sources "$out" Sources/RampartInspect/AI
fuzz_build "$out" AIFuzz RampartFuzz Fuzz/ai/AIFuzz.swift
if [[ -z $(ls -A Fuzz/ai/corpus) ]]; then
    cp Fuzz/ai/seeds/* Fuzz/ai/corpus/
fi
fuzz_run "$out" AIFuzz Fuzz/ai/corpus "$seconds" -max_len=8192 "$@"
