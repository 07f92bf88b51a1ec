# Shared by the Fuzz/*/build.sh scripts: source it after `cd` to the repository root.
# Each target compiles some of our modules as ONE Swift module with -sanitize=fuzzer,address
# (copies without their `import Rampart…` lines, which become same-module), plus libyaml when
# the sources read YAML.

# Swift's own crash backtracer, under ASan, reports itself (a stack-buffer-underflow in
# memserver_read) over the real failure; libFuzzer's and ASan's reports are enough.
export SWIFT_BACKTRACE=enable=no

# fuzz_seconds ARG: the run time in seconds (default 60), or a usage error.
fuzz_seconds() {
    local seconds=${1:-60}
    [[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS] [libFuzzer flags...]" >&2; exit 2; }
    echo "$seconds"
}

# fuzz_cyaml OUT: libyaml for the targets whose sources read YAML (`internal import CYaml`);
# sets CYAML_FLAGS, the swiftc arguments that provide the CYaml module and link it.
#
# Preferred: libyaml's C sources compiled by clang with -fsanitize=fuzzer-no-link,address into
# OUT/cyaml, so libFuzzer gets coverage from inside the tokenizer (it steers mutations into
# YAML's corners) and ASan checks libyaml's own reads and writes. The sources are Yams's
# vendored copy of libyaml 0.2.5 (the release Debian ships as libyaml-0-2 0.2.5-1, which the
# package links), from $YAMS_DIR, a leftover .build/checkouts/Yams, or the local mirror of
# jpsim/Yams (at $YAMS_REVISION, default its HEAD) extracted into OUT/yams-src.
# Fallback, when none of those exists: the system's libyaml (-lyaml through Sources/CYaml,
# the package's own module map), which works but is neither instrumented nor checked.
fuzz_cyaml() {
    local out=$1 yams=${YAMS_DIR:-} mirror=${YAMS_MIRROR:-/opt/swift-packages/jpsim/Yams.git} c o
    [[ -z $yams && -f .build/checkouts/Yams/Sources/CYaml/src/parser.c ]] && yams=.build/checkouts/Yams
    if [[ -z $yams && -d $mirror ]]; then
        yams=$out/yams-src
        if [[ ! -f $yams/Sources/CYaml/src/parser.c ]]; then
            rm -rf "$yams" && mkdir -p "$yams"
            git --git-dir="$mirror" archive "${YAMS_REVISION:-HEAD}" Sources/CYaml | tar -x -C "$yams"
        fi
    fi
    if [[ -z $yams || ! -f $yams/Sources/CYaml/src/parser.c ]]; then
        echo "libyaml: no sources (set YAMS_DIR); linking the system's -lyaml, without coverage or ASan inside it"
        CYAML_FLAGS=(-I Sources/CYaml -lyaml)
        return
    fi
    CYAML=$yams/Sources/CYaml
    CYAML_FLAGS=(-Xcc -fmodule-map-file="$CYAML/include/module.modulemap" -I "$CYAML/include")
    mkdir -p "$out/cyaml"
    echo "libyaml: compiling $CYAML with coverage and ASan"
    for c in "$CYAML"/src/*.c; do
        o=$out/cyaml/$(basename "${c%.c}").o
        [[ -f $o ]] || clang -O1 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_STATIC -I "$CYAML/include" -c "$c" -o "$o"
        CYAML_FLAGS+=("$o")
    done
}

# fuzz_clinux OUT: the package's C shim for the Linux calls Glibc's module hides (Sources/CLinux),
# for targets whose sources import it; sets CLINUX_FLAGS, the swiftc arguments that provide the
# CLinux module and link its object, compiled with ASan like the rest.
fuzz_clinux() {
    local out=$1
    clang -O1 -g -fsanitize=address -I Sources/CLinux/include -c Sources/CLinux/clinux.c -o "$out/clinux.o"
    CLINUX_FLAGS=(-Xcc -fmodule-map-file=Sources/CLinux/include/module.modulemap -I Sources/CLinux/include "$out/clinux.o")
}

# fuzz_sources OUT PATH...: copies of every .swift file under the PATHs (folders or files)
# without their `import Rampart…` lines (@_exported and access-levelled ones too), in OUT/src;
# sets FUZZ_SOURCES.
fuzz_sources() {
    local out=$1 f copy
    shift
    rm -rf "$out/src" && mkdir -p "$out/src"
    FUZZ_SOURCES=()
    while IFS= read -r f; do
        copy=$out/src/$(echo "$f" | tr / _)
        grep -vE '^(@_exported |@testable |internal |public )?import Rampart' "$f" >"$copy"
        FUZZ_SOURCES+=("$copy")
    done < <(find "$@" -name '*.swift' | sort)
}

# fuzz_matcher OUT NAME TARGET [PATH...]: the signature matcher as ONE module with TARGET
# (RampartWire, RampartRules, Sources/RampartInspect/Detect with the SHA-256 and HPACK it uses,
# and the file tracker its session state holds), plus any PATHs, linked with PCRE2, zlib and YARA;
# into OUT/NAME. Vectorscan is not linked: the prefilter is Aho-Corasick.
fuzz_matcher() {
    local out=$1 name=$2 target=$3
    shift 3
    fuzz_sources "$out" Sources/RampartWire Sources/RampartRules Sources/RampartInspect/Detect \
        Sources/RampartInspect/Files Sources/RampartInspect/AppID/SHA256.swift Sources/RampartInspect/AppID/HPACK.swift "$@"
    fuzz_build "$out" "$name" RampartFuzz "$target" -I Sources/CPCRE2 -lpcre2-8 -I Sources/CZlib -lz \
        -I Sources/CYara -lyara
}

# fuzz_build OUT NAME MODULE TARGET [swiftc arguments...]: links FUZZ_SOURCES + TARGET into
# OUT/NAME; prints the errors (not the warnings) and fails when it does not compile.
fuzz_build() {
    local out=$1 name=$2 module=$3 target=$4
    shift 4
    echo "compiling ${#FUZZ_SOURCES[@]} Swift files + the fuzz target"
    if ! swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name "$module" "$@" \
        "${FUZZ_SOURCES[@]}" "$target" -o "$out/$name" >"$out/build.log" 2>&1; then
        grep -v 'Cannot export local symbol' "$out/build.log" | grep -v "warning:" >&2
        exit 1
    fi
}

# fuzz_run OUT NAME CORPUS SECONDS [libFuzzer flags...]: runs the fuzzer, prints its
# progress and totals, and fails on a crash (kept in OUT/crashes/) or any other non-zero exit.
# Flags given after SECONDS come last, so they override the defaults (e.g. -max_len=8192).
fuzz_run() {
    local out=$1 name=$2 corpus=$3 seconds=$4 runs took
    shift 4
    mkdir -p "$out/crashes" "$corpus"
    echo "fuzzing for $seconds s (log: $out/fuzz.log)"
    { "$out/$name" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
        -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@" 2>&1; echo "fuzzer exit status $?"; } \
        | tee "$out/fuzz.log" \
        | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|stat::number_of_executed_units|stat::peak_rss|fuzzer exit status [1-9]" || true
    runs=$(grep -E '^stat::number_of_executed_units:' "$out/fuzz.log" | awk '{print $2}' | tail -1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$out/fuzz.log" | tail -1)
    echo "executions: ${runs:-unknown} in ${took:-?} s"
    if grep -q "ERROR: AddressSanitizer\|ERROR: libFuzzer\|==ERROR\|deadly signal\|Program crashed" "$out/fuzz.log" \
        || ! grep -q "^fuzzer exit status 0$" "$out/fuzz.log"; then
        echo "crash found, see $out/crashes/ and $out/fuzz.log" >&2
        exit 1
    fi
    echo "no crash"
}
