# Shared by the Fuzz/*/build.sh scripts: source it after `cd` to the repository root.
# Each target compiles some of our modules as ONE Swift module with -sanitize=fuzzer,address
# (copies without their `import Rampart…` lines, which become same-module), plus libyaml when
# the sources read YAML.

# fuzz_seconds ARG: the run time in seconds (default 60), or a usage error.
fuzz_seconds() {
    local seconds=${1:-60}
    [[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS] [libFuzzer flags...]" >&2; exit 2; }
    echo "$seconds"
}

# fuzz_cyaml OUT: compiles libyaml (Yams's CYaml, from $YAMS_DIR or .build/checkouts) with
# -fsanitize=fuzzer-no-link,address into OUT/cyaml; sets CYAML (its folder) and
# CYAML_OBJECTS.
fuzz_cyaml() {
    local out=$1 yams=${YAMS_DIR:-.build/checkouts/Yams} c o
    [[ -f $yams/Sources/CYaml/src/parser.c ]] || { echo "no Yams checkout at $yams: run swift build first" >&2; exit 1; }
    CYAML=$yams/Sources/CYaml
    CYAML_OBJECTS=()
    mkdir -p "$out/cyaml"
    echo "compiling libyaml"
    for c in "$CYAML"/src/*.c; do
        o=$out/cyaml/$(basename "${c%.c}").o
        [[ -f $o ]] || clang -O1 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_STATIC -I "$CYAML/include" -c "$c" -o "$o"
        CYAML_OBJECTS+=("$o")
    done
}

# fuzz_sources OUT PATH...: copies of every .swift file under the PATHs (folders or files)
# without `import Rampart…` lines, in OUT/src; sets FUZZ_SOURCES.
fuzz_sources() {
    local out=$1 f copy
    shift
    rm -rf "$out/src" && mkdir -p "$out/src"
    FUZZ_SOURCES=()
    while IFS= read -r f; do
        copy=$out/src/$(echo "$f" | tr / _)
        grep -v '^import Rampart' "$f" >"$copy"
        FUZZ_SOURCES+=("$copy")
    done < <(find "$@" -name '*.swift' | sort)
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
# progress and totals, and fails on a crash (kept in OUT/crashes/).
fuzz_run() {
    local out=$1 name=$2 corpus=$3 seconds=$4
    shift 4
    mkdir -p "$out/crashes" "$corpus"
    echo "fuzzing for $seconds s"
    "$out/$name" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
        -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@" 2>&1 | tee "$out/fuzz.log" \
        | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|stat::number_of_executed_units|stat::peak_rss" || true
    if grep -q "ERROR: AddressSanitizer\|ERROR: libFuzzer\|==ERROR\|Program crashed" "$out/fuzz.log"; then
        echo "crash found, see $out/crashes/" >&2
        exit 1
    fi
}
