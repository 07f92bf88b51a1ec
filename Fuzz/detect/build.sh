#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the signature matcher's evaluation:
#   Fuzz/detect/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartWire, RampartRules, the matcher (Sources/RampartInspect/Detect, with the SHA-256 it
# uses) and the target are compiled as ONE Swift module (copies without their `import
# Rampart…` lines) with -sanitize=fuzzer,address, linked with Debian's PCRE2 and zlib. The rest of
# the engine stays out: the policy language's `Rule`, `RuleAction` and `AddressSet` would
# clash with the rule language's in one module, and the matcher does not need them.
# Vectorscan is not linked (its module is not on the path): the prefilter is Aho-Corasick.
# Input: a rule's options, a NUL, then the buffer. Corpus: Fuzz/detect/corpus, seeded the
# first time from Fuzz/detect/seeds. Crashes: Fuzz/detect/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/detect/bin
mkdir -p "$out" Fuzz/detect/corpus
# The matcher's session state holds the file tracker's (Sources/RampartInspect/Files, with YARA).
fuzz_sources "$out" Sources/RampartWire Sources/RampartRules Sources/RampartInspect/Detect \
    Sources/RampartInspect/Files Sources/RampartInspect/AppID/SHA256.swift Sources/RampartInspect/AppID/HPACK.swift
fuzz_build "$out" DetectFuzz RampartFuzz Fuzz/detect/DetectFuzz.swift -I Sources/CPCRE2 -lpcre2-8 -I Sources/CZlib -lz \
    -I Sources/CYara -lyara
if [[ -z $(ls -A Fuzz/detect/corpus) ]]; then
    cp Fuzz/detect/seeds/* Fuzz/detect/corpus/
fi
fuzz_run "$out" DetectFuzz Fuzz/detect/corpus "$seconds" -max_len=4096 "$@"
