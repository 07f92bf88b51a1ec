#!/usr/bin/env bash
# Builds and runs the libFuzzer target for file inspection:
#   Fuzz/files/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# The mail (SMTP + MIME) parser, the file type table, header parameters, hash lists, the file
# table with its streaming inflater, and the HTTP parser handing bodies to it. Compiled as ONE
# Swift module with RampartWire, RampartRules, the matcher's folder (the HTTP parser and the
# session state live there) and Sources/RampartInspect/Files, linked with Debian's PCRE2, zlib
# and YARA. Input: a mode byte, then the bytes. Corpus: Fuzz/files/corpus, seeded the first
# time from Fuzz/files/seeds. Crashes: Fuzz/files/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/files/bin
mkdir -p "$out" Fuzz/files/corpus
fuzz_sources "$out" Sources/RampartWire Sources/RampartRules Sources/RampartInspect/Detect \
    Sources/RampartInspect/Files Sources/RampartInspect/AppID/SHA256.swift Sources/RampartInspect/AppID/HPACK.swift
fuzz_build "$out" FilesFuzz RampartFuzz Fuzz/files/FilesFuzz.swift -I Sources/CPCRE2 -lpcre2-8 -I Sources/CZlib -lz \
    -I Sources/CYara -lyara
if [[ -z $(ls -A Fuzz/files/corpus) ]]; then
    cp Fuzz/files/seeds/* Fuzz/files/corpus/
fi
fuzz_run "$out" FilesFuzz Fuzz/files/corpus "$seconds" -max_len=8192 "$@"
