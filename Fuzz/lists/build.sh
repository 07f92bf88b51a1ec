#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the indicator lists (issue 14): the list loaders
# (plain, hosts, CSV), the name and URL normal forms, and the store's lookups:
#   Fuzz/lists/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartWire + RampartInspect/Lists + the target are compiled as ONE Swift module (copies
# without their `import Rampart…` lines) with -sanitize=fuzzer,address. The corpus,
# Fuzz/lists/corpus, starts from the committed seeds in Fuzz/lists/seeds (one per case: the
# first byte picks it, see ListsFuzz.swift). Crashes: Fuzz/lists/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/lists/bin
mkdir -p "$out" Fuzz/lists/corpus
fuzz_sources "$out" Sources/RampartWire Sources/RampartInspect/Lists
# The store's prefetch is a header-only C module (Sources/CPrefetch).
fuzz_build "$out" ListsFuzz RampartFuzz Fuzz/lists/ListsFuzz.swift -Xcc -fmodule-map-file=Sources/CPrefetch/module.modulemap -I Sources/CPrefetch
if [[ -z $(ls -A Fuzz/lists/corpus) ]]; then
    cp Fuzz/lists/seeds/* Fuzz/lists/corpus/
fi
fuzz_run "$out" ListsFuzz Fuzz/lists/corpus "$seconds" -max_len=8192 "$@"
