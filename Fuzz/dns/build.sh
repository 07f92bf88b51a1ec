#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the DNS security stage's parsers (issue 14): the
# first question of a message, the sinkhole rewrite of answers, the DGA model's text and its
# scoring, the registrable-domain split and the tunnelling table:
#   Fuzz/dns/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartWire, RampartInspect/Lists, RampartInspect/DNSSecurity (without the per-session
# state, DNSStreamState, DNSSessionTable and DNSSecurityState, which need the engine's
# sessions), the policy's DNSSecurityProfile and the target are
# compiled as ONE Swift module with -sanitize=fuzzer,address. The corpus, Fuzz/dns/corpus,
# starts from the committed seeds in Fuzz/dns/seeds. Crashes: Fuzz/dns/bin/crashes/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source Fuzz/lib.sh
seconds=$(fuzz_seconds "${1:-}")
shift || true
out=Fuzz/dns/bin
mkdir -p "$out" Fuzz/dns/corpus
fuzz_sources "$out" Sources/RampartWire Sources/RampartInspect/Lists Sources/RampartPolicy/Model/DNSSecurityProfile.swift \
    $(find Sources/RampartInspect/DNSSecurity -name '*.swift' ! -name DNSStreamState.swift ! -name DNSSessionTable.swift \
        ! -name DNSSecurityState.swift)
# The store's prefetch is a header-only C module (Sources/CPrefetch).
fuzz_build "$out" DNSFuzz RampartFuzz Fuzz/dns/DNSFuzz.swift -Xcc -fmodule-map-file=Sources/CPrefetch/module.modulemap -I Sources/CPrefetch
if [[ -z $(ls -A Fuzz/dns/corpus) ]]; then
    cp Fuzz/dns/seeds/* Fuzz/dns/corpus/
fi
fuzz_run "$out" DNSFuzz Fuzz/dns/corpus "$seconds" -max_len=4096 "$@"
