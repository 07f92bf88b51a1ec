#!/usr/bin/env bash
# Builds one libFuzzer target from Fuzz/TARGET.swift compiled together with every source of
# RampartWire (so the target must not `import RampartWire`), then runs it for SECONDS.
# A TARGET that is a folder with a build.sh (Fuzz/lists, Fuzz/policy, Fuzz/appid, ...) is
# handed to that script, which compiles the modules it needs (Fuzz/lib.sh).
#
#   scripts/fuzz.sh PacketDecoderFuzz 60
#   scripts/fuzz.sh lists 300            # = Fuzz/lists/build.sh 300
#
# Corpus: Fuzz/corpus-TARGET (kept between runs). Crashes: Fuzz/bin/crashes-TARGET/.
# Extra libFuzzer flags may follow: scripts/fuzz.sh PacketDecoderFuzz 60 -max_len=2048
set -euo pipefail

usage() {
    echo "usage: $0 TARGET SECONDS [libFuzzer flags...]" >&2
    echo "  TARGET   name of Fuzz/TARGET.swift (e.g. PacketDecoderFuzz), or of a folder Fuzz/TARGET/ with a build.sh (e.g. lists)" >&2
    echo "  SECONDS  how long to fuzz (positive integer)" >&2
    exit 2
}

[[ $# -ge 2 ]] || usage
target=$1
seconds=$2
shift 2
[[ $target =~ ^[A-Za-z0-9_]+$ ]] || usage
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [[ -x Fuzz/$target/build.sh ]]; then
    exec "Fuzz/$target/build.sh" "$seconds" "$@"
fi
[[ -f Fuzz/$target.swift ]] || { echo "no such target: Fuzz/$target.swift" >&2; exit 2; }

# Swift's backtracer under ASan reports itself over the real failure; libFuzzer's report is enough.
export SWIFT_BACKTRACE=enable=no
mkdir -p Fuzz/bin "Fuzz/corpus-$target" "Fuzz/bin/crashes-$target"
mapfile -t sources < <(find Sources/RampartWire -name '*.swift' | sort)

echo "building Fuzz/bin/$target (${#sources[@]} module files)"
# The linker's warnings about ASan symbols are noise; show the output only on failure.
if ! swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name RampartWire \
    "${sources[@]}" "Fuzz/$target.swift" -o "Fuzz/bin/$target" >"Fuzz/bin/$target.build.log" 2>&1; then
    grep -v 'Cannot export local symbol' "Fuzz/bin/$target.build.log" >&2
    exit 1
fi

log="Fuzz/bin/$target.log"
echo "fuzzing for ${seconds}s (log: $log)"
status=0
"Fuzz/bin/$target" "Fuzz/corpus-$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="Fuzz/bin/crashes-$target/" "$@" >"$log" 2>&1 || status=$?

runs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' | tail -1)
echo "executions: ${runs:-unknown}"
if [[ $status -ne 0 ]]; then
    echo "fuzzer stopped with status $status; last lines of the log:" >&2
    tail -40 "$log" >&2
    ls "Fuzz/bin/crashes-$target" >&2
    exit "$status"
fi
echo "no crash"
