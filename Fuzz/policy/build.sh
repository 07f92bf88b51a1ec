#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the policy loader:
#   Fuzz/policy/build.sh [SECONDS] [libFuzzer flags...]        (default 60 seconds)
#
# RampartWire + RampartPolicy + the target are compiled as ONE Swift module (so their
# `import RampartWire` lines are same-module imports) with -sanitize=fuzzer,address;
# libyaml (the C half of Yams, from its mirror; the package itself links Debian's libyaml) is compiled by clang with -fsanitize=fuzzer-no-link,address.
# CYaml comes from $YAMS_DIR, a SwiftPM checkout, or the local mirror of jpsim/Yams at the
# revision pinned in Package.resolved.
# Corpus: Fuzz/policy/corpus (seeded from Samples/). Crashes: Fuzz/policy/bin/crashes/.
set -euo pipefail
seconds=${1:-60}
shift || true
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS] [libFuzzer flags...]" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
out=Fuzz/policy/bin
mkdir -p "$out/crashes" "$out/cyaml" Fuzz/policy/corpus

yams=${YAMS_DIR:-}
for candidate in .build/checkouts/Yams /work/dev/policy/.build/checkouts/Yams; do
    [[ -z $yams && -f $candidate/Sources/CYaml/src/parser.c ]] && yams=$candidate
done
if [[ -z $yams ]]; then
    mirror=/opt/swift-packages/jpsim/Yams.git
    revision=$(grep -A5 '"location" : "https://github.com/jpsim/Yams"' Package.resolved | sed -n 's/.*"revision" : "\([0-9a-f]*\)".*/\1/p')
    yams=$out/yams-src
    rm -rf "$yams" && mkdir -p "$yams"
    git --git-dir="$mirror" archive "${revision:-HEAD}" Sources/CYaml | tar -x -C "$yams"
fi
cyaml=$yams/Sources/CYaml

echo "compiling libyaml from $cyaml"
objects=()
for c in "$cyaml"/src/*.c; do
    o=$out/cyaml/$(basename "${c%.c}").o
    clang -O1 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_STATIC -I "$cyaml/include" -c "$c" -o "$o"
    objects+=("$o")
done

mapfile -t sources < <(find Sources/RampartWire Sources/RampartPolicy -name '*.swift' | sort)
echo "compiling ${#sources[@]} Swift files + the fuzz target"
if ! swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name RampartWire \
    -Xcc -fmodule-map-file="$cyaml/include/module.modulemap" -I "$cyaml/include" \
    "${sources[@]}" Fuzz/policy/PolicyLoaderFuzz.swift "${objects[@]}" \
    -o "$out/PolicyLoaderFuzz" >"$out/build.log" 2>&1; then
    grep -v 'Cannot export local symbol' "$out/build.log" | grep -v "warning:" >&2
    exit 1
fi

# Seed the corpus with the samples the first time.
if [[ -z $(ls -A Fuzz/policy/corpus) ]]; then
    cp Samples/policy.yaml Fuzz/policy/corpus/policy.yaml 2>/dev/null || true
    cp Samples/tags.yaml Fuzz/policy/corpus/tags.yaml 2>/dev/null || true
fi

echo "fuzzing for $seconds s"
"$out/PolicyLoaderFuzz" Fuzz/policy/corpus -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
    -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@" 2>&1 | tee "$out/fuzz.log" | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|stat::number_of_executed_units|stat::peak_rss" || true
grep -q "ERROR: AddressSanitizer\|ERROR: libFuzzer\|==ERROR" "$out/fuzz.log" && { echo "crash found, see $out/crashes/" >&2; exit 1; }
exit 0
