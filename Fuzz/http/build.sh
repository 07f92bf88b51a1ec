#!/usr/bin/env bash
# Builds and runs the libFuzzer target for RampartHTTP: request heads, bearer-token files
# (written to a temporary file and read by BearerTokens.load), listen addresses, and whole
# requests to a running HTTPServer with tokens on 127.0.0.1 (a random port):
#   Fuzz/http/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartPOSIX + RampartConfig (the `tls:` block's reader) + RampartHTTP + the target are
# compiled as ONE Swift module (copies without their `import Rampart…` lines) with
# -sanitize=fuzzer,address; libyaml as fuzz_cyaml in Fuzz/lib.sh provides it; the system's
# OpenSSL comes through the package's own module map (Sources/COpenSSL), uninstrumented.
# Corpus: Fuzz/http/corpus (seeded on first run). Crashes: Fuzz/http/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/http/bin
mkdir -p "$out" Fuzz/http/corpus
fuzz_cyaml "$out"
fuzz_sources "$out" Sources/RampartPOSIX Sources/RampartJSON Sources/RampartConfig Sources/RampartHTTP
# The HTTP client (libcurl through CCurl) is not what this target reads: left out.
rm -f "$out"/src/Sources_RampartHTTP_Client_*.swift
kept=()
for f in "${FUZZ_SOURCES[@]}"; do [[ $f == */Sources_RampartHTTP_Client_* ]] || kept+=("$f"); done
FUZZ_SOURCES=("${kept[@]}")
fuzz_build "$out" HTTPFuzz RampartHTTP Fuzz/http/HTTPFuzz.swift "${CYAML_FLAGS[@]}" -I Sources/COpenSSL
if [[ -z $(ls -A Fuzz/http/corpus) ]]; then
    printf '\x00\x01POST /tags?x=%%41&b+c=d%%zz HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\nContent-Length: 17\r\nExpect: 100-continue\r\nTransfer-Encoding: identity\r\n\r\n{"sequence": 1}  ' >Fuzz/http/corpus/head
    printf '\x03# role name token\ntag-writer manager 2b4c0f3e9d8a7c6b5a4f3e2d1c0b9a8f\r\nread-only,policy-writer grafana a1b2c3d4e5f60718293a4b5c6d7e8f90 # c\n' >Fuzz/http/corpus/tokens
    printf '\x05[::1]:9680' >Fuzz/http/corpus/listen6
    printf '\x05127.0.0.1:0' >Fuzz/http/corpus/listen4
    printf '\x07POST /tags HTTP/1.1\r\nAuthorization: Bearer 2b4c0f3e9d8a7c6b5a4f3e2d1c0b9a8f\r\nContent-Length: 4\r\n\r\nbody' >Fuzz/http/corpus/request
    printf '\x07GET /x?a=1 HTTP/1.0\r\nauthorization: bearer 0f1e2d3c4b5a69788796a5b4c3d2e1f0\r\n\r\n' >Fuzz/http/corpus/get
    printf '\x07GET /a HTTP/1.1\r\nAuthorization: Bearer a1b2c3d4e5f60718293a4b5c6d7e8f90\r\n\r\nPOST /b HTTP/1.1\r\nAuthorization: Bearer a1b2c3d4e5f60718293a4b5c6d7e8f90\r\nContent-Length: 2\r\n\r\nxyGET /c HTTP/1.1\r\n\r\n' >Fuzz/http/corpus/pipelined
fi
fuzz_run "$out" HTTPFuzz Fuzz/http/corpus "$seconds" "$@"
