#!/usr/bin/env bash
# Builds and runs the libFuzzer target over every App-ID decoder:
#   Fuzz/appid/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# The sources of RampartWire, RampartPolicy and RampartInspect are copied with their
# `import Rampart…` lines removed and compiled as ONE Swift module with the target, with
# -sanitize=fuzzer,address; libyaml (Yams's CYaml, used by the policy loader) is compiled
# by clang as Fuzz/policy/build.sh does. Seeds: the App-ID test captures' first bytes are
# not needed — libFuzzer finds its way from an empty corpus, and the corpus is kept in
# Fuzz/appid/corpus. Crashes: Fuzz/appid/bin/crashes/.
set -euo pipefail
seconds=${1:-60}
shift || true
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS] [libFuzzer flags...]" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
out=Fuzz/appid/bin
mkdir -p "$out/crashes" "$out/cyaml" Fuzz/appid/corpus
rm -rf "$out/src" && mkdir -p "$out/src"

yams=${YAMS_DIR:-}
for candidate in .build/checkouts/Yams; do
    [[ -z $yams && -f $candidate/Sources/CYaml/src/parser.c ]] && yams=$candidate
done
if [[ -z $yams ]]; then
    echo "build the package once first (swift build) so .build/checkouts/Yams exists" >&2
    exit 1
fi
cyaml=$yams/Sources/CYaml
objects=()
for c in "$cyaml"/src/*.c; do
    o=$out/cyaml/$(basename "${c%.c}").o
    [[ -f $o ]] || clang -O1 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_STATIC -I "$cyaml/include" -c "$c" -o "$o"
    objects+=("$o")
done

# One module: drop the imports of our own modules (they are all compiled together).
while IFS= read -r file; do
    target="$out/src/$(echo "$file" | tr '/' '_')"
    sed -E '/^(@testable )?import Rampart(Wire|Policy|Inspect)$/d' "$file" >"$target"
done < <(find Sources/RampartWire Sources/RampartPolicy Sources/RampartInspect -name '*.swift' | sort)
mapfile -t sources < <(find "$out/src" -name '*.swift' | sort)
echo "compiling ${#sources[@]} Swift files + the fuzz target"
if ! swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name RampartFuzz \
    -Xcc -fmodule-map-file="$cyaml/include/module.modulemap" -I "$cyaml/include" \
    "${sources[@]}" Fuzz/appid/AppIDFuzz.swift "${objects[@]}" \
    -o "$out/AppIDFuzz" >"$out/build.log" 2>&1; then
    grep -v 'Cannot export local symbol' "$out/build.log" | grep -v "warning:" | head -40 >&2
    exit 1
fi

echo "fuzzing for $seconds s"
"$out/AppIDFuzz" Fuzz/appid/corpus -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=4096 \
    -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@" 2>&1 | tee "$out/fuzz.log" \
    | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|stat::number_of_executed_units|stat::peak_rss" || true
grep -q "ERROR: AddressSanitizer\|ERROR: libFuzzer\|==ERROR\|deadly signal" "$out/fuzz.log" && { echo "crash found, see $out/crashes/" >&2; exit 1; }
exit 0
