#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the matcher's HTTP normaliser (differential):
#   Fuzz/uri/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# Compiled as Fuzz/detect/build.sh compiles the matcher (RampartWire, RampartRules and
# Sources/RampartInspect/Detect as ONE module with -sanitize=fuzzer,address); the target
# compares `http.uri`'s normaliser (URINormalizer) and the `url_decode` transform with
# plain reference implementations (RFC 3986's remove_dot_segments) in Fuzz/uri/URIFuzz.swift.
# Input: a request target. Corpus: Fuzz/uri/corpus, seeded the first time from
# Fuzz/uri/seeds. Crashes and differences: Fuzz/uri/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/uri/bin
mkdir -p "$out" Fuzz/uri/corpus
fuzz_sources "$out" Sources/RampartWire Sources/RampartRules Sources/RampartInspect/Detect \
    Sources/RampartInspect/AppID/SHA256.swift Sources/RampartInspect/AppID/HPACK.swift
fuzz_build "$out" URIFuzz RampartFuzz Fuzz/uri/URIFuzz.swift -I Sources/CPCRE2 -lpcre2-8 -I Sources/CZlib -lz
if [[ -z $(ls -A Fuzz/uri/corpus) ]]; then
    cp Fuzz/uri/seeds/* Fuzz/uri/corpus/
fi
fuzz_run "$out" URIFuzz Fuzz/uri/corpus "$seconds" -max_len=512 "$@"
