#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the Suricata rule language:
#   Fuzz/rules/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartWire + RampartRules + the target are compiled as ONE Swift module (copies without
# their `import Rampart…` lines) with -sanitize=fuzzer,address, linked with Debian's PCRE2
# (libpcre2-dev, uninstrumented). Corpus: Fuzz/rules/corpus, seeded the first time from
# Fuzz/rules/seeds (rules from the unit tests, none from ET Open). Crashes: Fuzz/rules/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/rules/bin
mkdir -p "$out" Fuzz/rules/corpus
fuzz_sources "$out" Sources/RampartWire Sources/RampartRules
fuzz_build "$out" RulesFuzz RampartRules Fuzz/rules/RulesFuzz.swift -I Sources/CPCRE2 -lpcre2-8
if [[ -z $(ls -A Fuzz/rules/corpus) ]]; then
    cp Fuzz/rules/seeds/* Fuzz/rules/corpus/
fi
fuzz_run "$out" RulesFuzz Fuzz/rules/corpus "$seconds" -max_len=8192 "$@"
